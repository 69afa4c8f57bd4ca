#!/usr/bin/env python3
"""Embed the varlink interface file as a C string (pass_idl_manager), byte for byte."""
import sys

src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* generated from %s - do not edit */\n' % src.split('/')[-1])
    f.write('const char pass_idl_manager[] =\n')
    for i in range(0, len(data), 60):
        chunk = data[i:i + 60]
        f.write('    "' + ''.join('\\x%02x' % b for b in chunk) + '"\n')
    f.write(';\n')
