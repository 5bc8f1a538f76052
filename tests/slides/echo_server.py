# The slides' UDPEchoServer, ported to Python 3 and given a port:
#   python3 echo_server.py PORT
from socket import *
import sys

# Create a UDP socket
s = socket(AF_INET, SOCK_DGRAM)
# Bind the socket to the port
server_addr = ('localhost', int(sys.argv[1]))
s.bind(server_addr)
print('starting up on {} port {}'.format(*s.getsockname()), flush=True)

while True:
    print("Waiting to receive message", flush=True)
    data, addr = s.recvfrom(4096)
    if data:
        sent = s.sendto(data, addr)
