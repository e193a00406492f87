#!/usr/bin/env python3
"""TTFT as the wire saw it, from a loopback capture: the request's first packet to the server's first packet carrying
generated content (an OpenAI chunk whose delta starts with "content"), per request.

The runner's figure for the same run, minus this one, is the runner's own measurement error; this one minus the
scripted TTFT is the server's lateness. Usage: wire-ttft.py CAPTURE.pcap SERVER_PORT WARMUP_SECONDS [SCRIPTED_MS]
"""
import struct
import sys

CONTENT = b'"delta":{"content":"'
LINK_HEADER = {1: 14, 113: 16, 276: 20}  # Ethernet (lo), Linux cooked v1 and v2 (-i any)


def packets(path):
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            sys.exit(f"{path}: not a little-endian pcap file (magic {magic:#x}); capture with tcpdump -w")
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
        link = struct.unpack("<I", header[20:24])[0]
        if link not in LINK_HEADER:
            sys.exit(f"{path}: link type {link} is not one this script reads; capture on lo")
        skip = LINK_HEADER[link]
        while record := f.read(16):
            seconds, fraction, captured, _ = struct.unpack("<IIII", record)
            data = f.read(captured)
            ip = data[skip:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                continue
            tcp = ip[(ip[0] & 0x0F) * 4:]
            if len(tcp) < 20:
                continue
            source, destination = struct.unpack(">HH", tcp[:4])
            yield seconds + fraction * scale, source, destination, tcp[(tcp[12] >> 4) * 4:]


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def main():
    path, port, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    scripted = float(sys.argv[4]) if len(sys.argv) > 4 else None
    started = {}  # client port -> start of the request now open on that connection
    ttfts = []
    first = None
    for time, source, destination, payload in packets(path):
        if destination == port and payload.startswith(b"POST "):
            started[source] = time
            first = time if first is None else first
        elif source == port and destination in started and CONTENT in payload:
            start = started.pop(destination)
            if start - first >= warmup:
                ttfts.append((time - start) * 1000)
    if not ttfts:
        sys.exit(f"{path}: no request on port {port} got a content chunk after the {warmup} s warm-up")
    ttfts.sort()
    figures = "  ".join(f"p{p} {percentile(ttfts, p):.3f}" for p in (50, 90, 95, 99))
    print(f"wire TTFT ms over {len(ttfts)} requests: {figures}  max {ttfts[-1]:.3f}")
    if scripted is not None:
        late = [t - scripted for t in ttfts]
        print(f"wire TTFT − scripted {scripted:g} ms (the server's lateness): p50 {percentile(late, 50):.3f}  p99 {percentile(late, 99):.3f}")


if __name__ == "__main__":
    main()
