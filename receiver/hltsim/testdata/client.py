"""A libzmq (pyzmq) REQ client playing the C++ zmqReceive against a merger.

Usage: client.py ENDPOINT OPTIONS
  Sends the 4-frame CONFIG request (with OPTIONS as the option string),
  checks the reply independently of the Go code and prints a JSON summary:
  the topic IDs, origins and serializations, the INFO string, and for every
  ROOT payload the TMessage length-word byte order, the message type and
  the class name of the streamed object.
"""
import json
import struct
import sys

import zmq


def topic(data_id):
    return struct.pack("<4sIII8s8s8s8s4sI8sQQ", b"O2O2", 80, 0, 1, b"DataHDR\0", b"NONE\0\0\0\0",
                       b"\0" * 8, data_id, b"\0" * 4, 0, b"\0" * 8, 0, 0)


def main():
    endpoint, options = sys.argv[1], sys.argv[2]
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 20000)
    sock.connect(endpoint)
    sock.send_multipart([topic(b"CONFIG\0\0"), options.encode(), topic(b"\0" * 8), b""])
    frames = sock.recv_multipart()
    out = {"frames": len(frames), "pairs": []}
    assert len(frames) % 2 == 0, "even number of frames"
    for i in range(0, len(frames), 2):
        t, p = frames[i], frames[i + 1]
        (magic, hsize, flags, version, hdesc, hser, desc0, data_id, origin, reserved, ser, spec,
         psize) = struct.unpack("<4sIII8s8s8s8s4sI8sQQ", t)
        assert len(t) == 80 and magic == b"O2O2" and hsize == 80 and version == 1 and hdesc == b"DataHDR\0"
        pair = {"id": data_id.decode("latin1"), "origin": origin.decode("latin1"),
                "serialization": ser.decode("latin1"), "size": len(p)}
        if ser == b"ROOT   \0":
            le = struct.unpack("<I", p[:4])[0]
            be = struct.unpack(">I", p[:4])[0]
            pair["length"] = "LE" if le == len(p) - 4 else ("BE" if be == len(p) - 4 else "bad")
            pair["what"] = struct.unpack(">I", p[4:8])[0]
            bc, tag = struct.unpack(">II", p[8:16])
            pair["bytecount_ok"] = (bc & 0x40000000) != 0 and (bc & ~0x40000000) == len(p) - 12
            if tag == 0xFFFFFFFF:
                pair["class"] = p[16:p.index(b"\0", 16)].decode("latin1")
        else:
            pair["text"] = p.decode("latin1")
        out["pairs"].append(pair)
    print(json.dumps(out))
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
