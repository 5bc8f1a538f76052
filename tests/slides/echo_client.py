# The slides' UDPEchoClient, ported to Python 3 and given a port:
#   python3 echo_client.py PORT
from socket import *
import sys

# Create a UDP socket
s = socket(AF_INET, SOCK_DGRAM)
server_addr = ('localhost', int(sys.argv[1]))
message = 'This is the message.'

try:
    # Send data
    print('sending "%s"' % message, flush=True)
    sent = s.sendto(message.encode(), server_addr)

    # Receive response
    print('waiting to receive ...', flush=True)
    data, server = s.recvfrom(4096)
    print('received "%s"' % data.decode(), flush=True)

finally:
    print('closing socket', flush=True)
    s.close()
