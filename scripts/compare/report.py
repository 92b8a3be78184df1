#!/usr/bin/env python3
"""Report of a scripts/bench-compare.sh run: medians and spreads (min-max) of every figure,
vkserve beside llama.cpp, as report.md and report.svg in the run's folder."""
import argparse
import glob
import json
import os
import re
import statistics


def load(path):
    with open(path) as f:
        return json.load(f)


def spread(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def single_figures(out):
    """{model: {"vkserve": {"pp": [...], "tg": [...]}, "llama.cpp": {...}}}"""
    figures = {}
    for path in sorted(glob.glob(os.path.join(out, "single-*-r*.json"))):
        m = re.match(r"single-(.+)-(llama|vkserve)-r(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        model, who = m.group(1), m.group(2)
        entry = figures.setdefault(model, {}).setdefault("llama.cpp" if who == "llama" else "vkserve", {"pp": [], "tg": []})
        data = load(path)
        if who == "llama":
            for test in data:
                if test.get("n_prompt", 0) > 0 and test.get("n_gen", 0) == 0:
                    entry["pp"].append(test["avg_ts"])
                elif test.get("n_gen", 0) > 0 and test.get("n_prompt", 0) == 0:
                    entry["tg"].append(test["avg_ts"])
        else:
            entry["pp"].append(data["prompt_tokens_per_second"])
            entry["tg"].append(data["decode_tokens_per_second"])
    return figures


def load_figures(out):
    figures = {}
    for path in sorted(glob.glob(os.path.join(out, "load-*-r*", "summary.json"))):
        m = re.match(r"load-(llama|vkserve)-r(\d+)$", os.path.basename(os.path.dirname(path)))
        if not m:
            continue
        who = "llama-server" if m.group(1) == "llama" else "vkserved"
        s = load(path)["load"]
        e = figures.setdefault(who, {"tok/s": [], "itl p95": [], "itl p99": [], "ttft p95": [], "errors": []})
        e["tok/s"].append(s["tokens_per_s"])
        e["itl p95"].append(s["latency"]["itl"]["p95"])
        e["itl p99"].append(s["latency"]["itl"]["p99"])
        e["ttft p95"].append(s["latency"]["ttft"]["p95"])
        e["errors"].append(s["failed"])
    return figures


def fmt(sp, digits=1):
    if sp is None:
        return "–"
    if sp["n"] == 1:
        return f"{sp['median']:.{digits}f}"
    return f"{sp['median']:.{digits}f} ({sp['min']:.{digits}f}–{sp['max']:.{digits}f})"


def ratio(a, b, higher_better=True):
    if a is None or b is None or not b["median"] or not a["median"]:
        return "–"
    r = a["median"] / b["median"] if higher_better else b["median"] / a["median"]
    return f"{r:.2f}×"


def svg(bars, path):
    """Grouped horizontal bars: (label, vkserve spread, peer spread, unit); each pair scaled to its larger max."""
    width, row, left = 760, 46, 250
    height = 40 + row * len(bars) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="10" y="20" font-size="14" font-weight="bold">vkserve (blue) beside llama.cpp 0c1e57098 (grey): medians, whiskers min–max</text>']
    y = 40
    for label, ours, theirs, unit in bars:
        top = max((s["max"] for s in (ours, theirs) if s), default=1) or 1
        scale = (width - left - 90) / top
        parts.append(f'<text x="10" y="{y + 20}">{label}</text>')
        for i, (s, colour) in enumerate(((ours, "#2b6cb0"), (theirs, "#9e9e9e"))):
            if not s:
                continue
            by = y + 4 + i * 18
            parts.append(f'<rect x="{left}" y="{by}" width="{s["median"] * scale:.1f}" height="14" fill="{colour}"/>')
            parts.append(f'<line x1="{left + s["min"] * scale:.1f}" x2="{left + s["max"] * scale:.1f}" y1="{by + 7}" y2="{by + 7}" stroke="black"/>')
            parts.append(f'<text x="{left + s["max"] * scale + 6:.1f}" y="{by + 12}">{s["median"]:.1f} {unit}</text>')
        y += row
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--isa", default="native")
    ap.add_argument("--peer", default="")
    a = ap.parse_args()
    cpu = "unknown CPU"
    lscpu = os.path.join(a.out, "lscpu.txt")
    if os.path.exists(lscpu):
        text = open(lscpu).read()
        name = re.search(r"Model name:\s*(.+)", text)
        cores = re.search(r"^CPU\(s\):\s*(\d+)", text, re.M)
        flags = re.search(r"Flags:\s*(.+)", text)
        has512 = flags and "avx512f" in flags.group(1)
        cpu = f"{name.group(1).strip() if name else 'CPU'}, {cores.group(1) if cores else '?'} cores, " + \
              ("AVX-512" if has512 else "AVX2") + (" (measured as AVX2: AVX-512 off on both sides)" if a.isa == "avx2" else "")
    single, served = single_figures(a.out), load_figures(a.out)
    md = [f"# vkserve beside llama.cpp 0c1e57098", "",
          f"Machine: {cpu}. Both sides use the same threads; rounds alternate who goes first. "
          "Figures are medians with the range (min–max) over the rounds in brackets.", ""]
    bars = []
    if single:
        md += ["## Single stream (llama-bench pp64 / tg64 against `vkserve bench single`)", "",
               "| model | test | llama.cpp (tok/s) | vkserve (tok/s) | vkserve ÷ llama.cpp |", "| --- | --- | ---: | ---: | ---: |"]
        for model, who in single.items():
            for test, name in (("pp", "prefill pp64"), ("tg", "decode tg64")):
                ours, theirs = spread(who.get("vkserve", {}).get(test, [])), spread(who.get("llama.cpp", {}).get(test, []))
                md.append(f"| {model} | {name} | {fmt(theirs)} | {fmt(ours)} | {ratio(ours, theirs)} |")
                bars.append((f"{model[:22]} {name}", ours, theirs, "tok/s"))
        md.append("")
    if served:
        md += ["## Through the server (12 clients × 128 tokens, ignore_eos, temperature 1, `vkserve bench load`)", "",
               "| figure | llama-server | vkserved | vkserved against llama-server |", "| --- | ---: | ---: | ---: |"]
        for key, unit, better in (("tok/s", "tok/s", True), ("itl p95", "ms", False), ("itl p99", "ms", False),
                                  ("ttft p95", "ms", False), ("errors", "", False)):
            ours, theirs = spread(served.get("vkserved", {}).get(key, [])), spread(served.get("llama-server", {}).get(key, []))
            label = {"tok/s": "aggregate (tok/s)", "itl p95": "inter-token P95 (ms)", "itl p99": "inter-token P99 (ms)",
                     "ttft p95": "time to first token P95 (ms)", "errors": "failed requests"}[key]
            md.append(f"| {label} | {fmt(theirs)} | {fmt(ours)} | {ratio(ours, theirs, better) if key != 'errors' else ''} |")
            if key != "errors":
                bars.append((f"server {label}", ours, theirs, unit))
        md.append("")
        md.append("Ratios are better-is-bigger: throughput vkserved ÷ llama-server, latencies llama-server ÷ vkserved.")
        md.append("")
    md.append(f"Peer binaries: {a.peer or 'see the run log'}. Raw figures: the JSON files and load folders beside this report.")
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    svg(bars, os.path.join(a.out, "report.svg"))
    print("\n".join(md))


if __name__ == "__main__":
    main()
