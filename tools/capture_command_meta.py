#!/usr/bin/env python3
"""Captures redis-server 7.0's COMMAND INFO / COMMAND DOCS replies (RESP2 and RESP3) for every command, so our
COMMAND replies are byte-identical and our command table takes Redis's arity, flags and key positions.

usage: redis-server --port 7777 --save '' & python3 tools/capture_command_meta.py 7777 > src/cmd/redis_meta.bin
Output: records of  name\\0 kind\\0 len\\0 bytes  where kind is info2/info3/docs2/docs3, and the meta lines
"meta\\0name arity flags first last step\\0".
"""
import socket, sys

def read_reply(f):
    line = f.readline()
    t = line[:1]
    out = line
    if t in b'+-:_,#(':
        return out
    if t in b'$=!':
        n = int(line[1:-2])
        if n >= 0:
            out += f.read(n + 2)
        return out
    if t in b'*~>%|':
        n = int(line[1:-2])
        if t in b'%|':
            n *= 2
        for _ in range(max(n, 0)):
            out += read_reply(f)
        return out
    raise ValueError(line)

def cmd(s, f, *args):
    b = b'*%d\r\n' % len(args) + b''.join(b'$%d\r\n%s\r\n' % (len(a), a) for a in args)
    s.sendall(b)
    return read_reply(f)

def parse(data, i=0):
    t = data[i:i+1]; j = data.index(b'\r\n', i)
    head = data[i+1:j]; i = j + 2
    if t in b'+-:,#(_':
        return head, i
    if t in b'$=':
        n = int(head)
        if n < 0: return None, i
        return data[i:i+n], i + n + 2
    n = int(head)
    if t in b'%': n *= 2
    items = []
    for _ in range(n):
        v, i = parse(data, i); items.append(v)
    return items, i

port = int(sys.argv[1])
s2 = socket.create_connection(('127.0.0.1', port)); f2 = s2.makefile('rb')
s3 = socket.create_connection(('127.0.0.1', port)); f3 = s3.makefile('rb')
cmd(s3, f3, b'HELLO', b'3')
names, _ = parse(cmd(s2, f2, b'COMMAND', b'LIST'))
out = sys.stdout.buffer
for name in sorted(names):
    info2 = cmd(s2, f2, b'COMMAND', b'INFO', name)
    info, _ = parse(info2)
    e = info[0]
    meta = b'%s %s %s %s %s %s' % (name, e[1], b','.join(e[2]), e[3], e[4], e[5])
    subs = e[9] if len(e) > 9 else []
    for sub in subs:
        meta += b'\n%s %s %s %s %s %s' % (sub[0], sub[1], b','.join(sub[2]), sub[3], sub[4], sub[5])
    recs = [(b'meta', meta), (b'info2', info2), (b'info3', cmd(s3, f3, b'COMMAND', b'INFO', name)),
            (b'docs2', cmd(s2, f2, b'COMMAND', b'DOCS', name)), (b'docs3', cmd(s3, f3, b'COMMAND', b'DOCS', name))]
    for kind, data in recs:
        out.write(name + b'\0' + kind + b'\0' + str(len(data)).encode() + b'\0' + data)
