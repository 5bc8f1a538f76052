# The slides' "UDP Server", ported to Python 3 and given a port:
#   python3 udp_server.py PORT
# Python 3 sockets send bytes, not str: hence the encode().  The one line
# added, the port it got, lets a test use port 0.
import sys
from socket import *

maxsize = 4096
s = socket(AF_INET, SOCK_DGRAM)
s.bind(("", int(sys.argv[1])))
print("listening on port", s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(maxsize)
    resp = "Get off my lawn!"
    s.sendto(resp.encode(), addr)
