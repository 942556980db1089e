"""A libzmq (pyzmq) stand-in for the HLT ZMQROOTmerger, for interop tests.

Usage: merger.py MODE N TMSG_HEX_FILE REQUESTS_JSON
  MODE is REP or ROUTER. The script binds tcp://127.0.0.1 on a free port,
  prints the endpoint on stdout, answers N requests with the G4 reply of the
  protocol spec's worked example (INFO + one TH1F TMessage), built here byte
  by byte independently of the Go code, then writes the requests it got
  (frames in hex) to REQUESTS_JSON and exits.
"""
import json
import struct
import sys

import zmq


def topic(data_id, origin, serialization):
    # O2 DataTopic, 80 bytes, little-endian: magic, header size, flags,
    # version, "DataHDR\0", "NONE\0\0\0\0", desc[0], ID, origin, reserved,
    # serialization, spec, payload size ("<4sIII8s8s8s8s4sI8sQQ").
    return struct.pack("<4sIII8s8s8s8s4sI8sQQ", b"O2O2", 80, 0, 1, b"DataHDR\0", b"NONE\0\0\0\0",
                       b"\0" * 8, data_id, origin, 0, serialization, 0, 0)


def main():
    mode, n, hexfile, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(hexfile) as f:
        tmsg = bytes.fromhex("".join(f.read().split()))
    assert struct.unpack("<I", tmsg[:4])[0] == len(tmsg) - 4
    reply = [topic(b"INFO____", b"HLT ", b"NONE   \0"), b"run=290222;HLT_MODE=B;BEAM_TYPE=p-p",
             topic(b"ROOTTOBJ", b"HLT ", b"ROOT   \0"), tmsg]
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REP if mode == "REP" else zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 1000)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    print("tcp://127.0.0.1:%d" % port, flush=True)
    requests = []
    for _ in range(n):
        frames = sock.recv_multipart()
        if mode == "REP":
            requests.append([f.hex() for f in frames])
            sock.send_multipart(reply)
        else:
            ident, delim, body = frames[0], frames[1], frames[2:]
            assert delim == b"", "REQ envelope delimiter"
            requests.append([f.hex() for f in body])
            sock.send_multipart([ident, b""] + reply)
    with open(out, "w") as f:
        json.dump(requests, f)
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
