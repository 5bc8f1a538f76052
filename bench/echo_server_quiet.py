# The slides' UDPEchoServer (tests/slides/echo_server.py) without its
# print in the loop: what Python itself costs, apart from the printing.
#   python3 echo_server_quiet.py PORT
from socket import *
import sys

s = socket(AF_INET, SOCK_DGRAM)
s.bind(('127.0.0.1', int(sys.argv[1])))
print('starting up on {} port {}'.format(*s.getsockname()), flush=True)

while True:
    data, addr = s.recvfrom(65536)
    s.sendto(data, addr)
