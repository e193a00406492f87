#!/usr/bin/env python3
"""TTFT as the wire saw it, from a loopback capture: the request's first packet to the server's first packet carrying
generated content (an OpenAI chunk whose delta starts with "content"), per request.

The runner's figure for the same run, minus this one, is the runner's own measurement error; this one minus the
scripted TTFT is the server's lateness. Usage: wire-ttft.py CAPTURE.pcap SERVER_PORT WARMUP_SECONDS [SCRIPTED_MS]
[--per-request OUT.csv]; the CSV has one row per answered request: its model, the [Qnnnnn] key of its prompt (where the
capture's snap length kept the body) and its wire TTFT, for matching with the runner's samples one by one.
"""
import argparse
import re
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


MODEL = re.compile(rb'"model":"([^"]*)"')
KEY = re.compile(rb"\[Q(\d{5})\]")


def main():
    arguments = argparse.ArgumentParser(description="TTFT as the wire saw it")
    arguments.add_argument("capture")
    arguments.add_argument("port", type=int)
    arguments.add_argument("warmup", type=float)
    arguments.add_argument("scripted", type=float, nargs="?")
    arguments.add_argument("--per-request")
    options = arguments.parse_args()
    path, port, warmup, scripted = options.capture, options.port, options.warmup, options.scripted
    started = {}  # client port -> [start, request bytes so far] of the request now open on that connection
    ttfts = []
    rows = []
    first = None
    for time, source, destination, payload in packets(path):
        if destination == port and payload.startswith(b"POST "):
            started[source] = [time, payload]
            first = time if first is None else first
        elif destination == port and source in started and payload:
            started[source][1] += payload
        elif source == port and destination in started and CONTENT in payload:
            start, request = started.pop(destination)
            if start - first >= warmup:
                ttfts.append((time - start) * 1000)
                model, key = MODEL.search(request), KEY.search(request)
                rows.append((model.group(1).decode() if model else "", key.group(1).decode() if key else "", ttfts[-1]))
    if options.per_request:
        with open(options.per_request, "w", encoding="utf-8") as out:
            out.write("model,key,wire_ttft_ms\n")
            out.writelines(f"{model},{key},{ttft:.6f}\n" for model, key, ttft in rows)
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
