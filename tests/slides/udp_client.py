# The slides' "UDP Client", ported to Python 3 and given a host and port:
#   python3 udp_client.py HOST PORT
import sys
from socket import *

maxsize = 65535
s = socket(AF_INET, SOCK_DGRAM)
msg = "Hello World"
s.sendto(msg.encode(), (sys.argv[1], int(sys.argv[2])))
data, addr = s.recvfrom(maxsize)
print(data.decode(errors="backslashreplace"), flush=True)
