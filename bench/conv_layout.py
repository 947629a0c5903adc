"""The convolution that dominates vision SleepNet-3 (64 -> 64 channels, 3x3,
28x28, batch 128), timed in LibTorch the ways bench/ANALYSIS.md compares:
NCHW (what the trainers and PyTorch eager run) against channels-last (what
torch.compile's Inductor picks on CPU), and the matrix products a Winograd
F(4x4, 3x3) version of it would need (36 of 6272x64 by 64x64) against the
direct convolution's forward pass.

    source scripts/env.sh && python bench/conv_layout.py [--threads 2]
"""

import argparse
import time

import torch


def best_ms(step, runs):
    """Best of `runs` timed calls of `step`, after two warm-up calls."""
    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def convolution(x, w, train):
    def step():
        if train:
            y = torch.conv2d(x, w, None, 1, 1)
            y.backward(torch.ones_like(y))
        else:
            with torch.no_grad():
                torch.conv2d(x, w, None, 1, 1)
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n, c, side = 128, 64, 28
    x = torch.randn(n, c, side, side, requires_grad=True)
    w = (torch.randn(c, c, 3, 3) * 0.1).requires_grad_()
    nhwc = torch.channels_last
    xl = x.detach().to(memory_format=nhwc).requires_grad_()
    wl = w.detach().to(memory_format=nhwc).requires_grad_()
    flops = 2 * n * side * side * c * c * 9
    print(f"convolution {n}x{c}x{side}x{side}, {c}->{c}, 3x3, "
          f"{args.threads} threads, best of {args.runs} (ms):")
    for train in (False, True):
        nchw_ms = best_ms(convolution(x, w, train), args.runs)
        nhwc_ms = best_ms(convolution(xl, wl, train), args.runs)
        label = "forward+backward" if train else "forward"
        print(f"  {label:17} NCHW {nchw_ms:6.1f}  channels-last {nhwc_ms:6.1f}"
              f"  ratio {nchw_ms / nhwc_ms:.2f}x")
        if not train:
            print(f"  direct forward: {flops / nchw_ms / 1e6:.0f} GFLOP/s")
    tiles = n * (side // 4) ** 2
    a, b = torch.randn(36, tiles, c), torch.randn(36, c, c)
    bmm_ms = best_ms(lambda: torch.bmm(a, b), args.runs)
    print(f"  Winograd F(4x4,3x3) products alone (bmm 36x{tiles}x{c}x{c}): "
          f"{bmm_ms:.1f} ms, {2 * 36 * tiles * c * c / bmm_ms / 1e6:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
