#!/usr/bin/env python3
"""PyTorch peer of bench/transfer_vs_torch.ts: one whole style transfer, as the course runs it.

The course exports everything a run depends on into a folder (see transfer_vs_torch.ts): the
normalised VGG19 kernels and biases it uses (float32, [3, 3, Cin, Cout] and [Cout]), the photo
and the painting as network inputs (preprocessed, 1xHxWx3 float32), the white-noise start x0
(float64, 3*H*W values), and spec.json with the layers, alpha, beta, w_l and the L-BFGS settings.
This script then does what lib/vision/style_transfer.ts's styleTransfer does:

  targets    P = the photo's maps at the content layer; A_l = the painting's Gram matrices at
             the style layers, times M_image / M_painting (its positions against the image's)
  objective  L(x) = alpha * 1/2 sum (F - P)^2 + beta * sum_l w_l sum (G_l - A_l)^2 / (4 N^2 M^2),
             G = F^T F of the layer's maps as an M x N matrix, maps taken after the ReLU, 2x2
             average pooling between blocks; the network and the losses in float32, x in float64
  optimiser  torch.optim.LBFGS on x: history 20, strong Wolfe line search, at most
             `iterations` iterations and `max_evaluations` evaluations (the course's defaults)

torch's first L-BFGS step is rescaled to the course's (see transfer). Each run is timed from the
targets to the last iteration (as styleTransfer's `seconds`), and printed as one JSON line:
{"seconds", "evaluations", "iterations", "loss_start", "loss", "first_step_scale", "threads",
"torch"}.

Usage: python3 bench/torch_transfer.py FOLDER [--runs N]
If torch cannot be imported it prints {"error": "torch not installed: ..."} and exits 3.
"""

import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as error:  # the benchmark reports this and shows the course's numbers only
    print(json.dumps({"error": f"torch not installed: {error}"}))
    sys.exit(3)


def read_arrays(folder, spec):
    """The float32 arrays of spec["arrays"] (name -> {offset, shape}) from arrays.bin."""
    blob = np.fromfile(os.path.join(folder, "arrays.bin"), dtype=np.float32)
    out = {}
    for name, entry in spec["arrays"].items():
        size = int(np.prod(entry["shape"]))
        out[name] = torch.from_numpy(blob[entry["offset"]:entry["offset"] + size].copy()).reshape(
            entry["shape"])
    return out


def network(spec, arrays):
    """The layer list up to the deepest layer the loss needs: ("conv", name, w, b) or ("pool", name)."""
    layers = []
    for name in spec["layer_order"]:
        if name.startswith("conv"):
            kernel = arrays[name + "/kernel"].permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            layers.append(("conv", name, kernel, arrays[name + "/bias"]))
        else:
            layers.append(("pool", name))
    return layers


def features(layers, x, wanted):
    """The maps (1xCxHxW) at the layers in `wanted`, after their ReLU."""
    out = {}
    h = x
    for layer in layers:
        if layer[0] == "conv":
            h = F.relu(F.conv2d(h, layer[2], layer[3], padding=1))
        else:
            h = F.avg_pool2d(h, 2, 2)
        if layer[1] in wanted:
            out[layer[1]] = h
    return out


def gram(maps):
    """G = F^T F with F the maps as an M x N matrix (positions x channels)."""
    n = maps.shape[1]
    flat = maps.reshape(n, -1)
    return flat @ flat.t()


def nchw(nhwc):
    return nhwc.permute(0, 3, 1, 2)


def objective(spec, arrays):
    """The targets P and A_l, computed now, and L(x) as a function of the flat float64 image x."""
    layers = network(spec, arrays)
    height, width = spec["height"], spec["width"]
    content_layer, style_layers = spec["content_layer"], spec["style_layers"]
    with torch.no_grad():
        P = features(layers, nchw(arrays["photo"]), {content_layer})[content_layer]
        painting = features(layers, nchw(arrays["painting"]), set(style_layers))
        targets = []
        for layer, weight in zip(style_layers, spec["style_layer_weights"]):
            maps = painting[layer]
            # The image's positions at this layer (2x2 pools halve each side, rounding down).
            pools = sum(1 for name in spec["layer_order"][:spec["layer_order"].index(layer)]
                        if name.startswith("pool"))
            positions = (height >> pools) * (width >> pools)
            ratio = positions / (maps.shape[2] * maps.shape[3])
            targets.append((layer, weight, gram(maps) * ratio))
    alpha, beta = spec["alpha"], spec["beta"]
    wanted = {content_layer, *style_layers}

    def loss_of(image):
        maps = features(layers, nchw(image.float().reshape(1, height, width, 3)), wanted)
        content = 0.5 * ((maps[content_layer] - P) ** 2).sum()
        style = 0
        for layer, weight, A in targets:
            m = maps[layer]
            n, positions = m.shape[1], m.shape[2] * m.shape[3]
            style = style + weight * ((gram(m) - A) ** 2).sum() / (4 * n * n * positions * positions)
        return alpha * content + beta * style

    return loss_of


def first_step_scale(spec, arrays, x0):
    """s = ||g0||_1 / ||g0||_inf at the start (see transfer)."""
    x = x0.clone().requires_grad_(True)
    objective(spec, arrays)(x).backward()
    return (x.grad.abs().sum() / x.grad.abs().max()).item()


def transfer(spec, arrays, x0, scale):
    """One run: targets, then L-BFGS from x0. Returns the JSON record."""
    started = time.perf_counter()
    loss_of = objective(spec, arrays)
    # torch's L-BFGS tries g / ||g||_1 as its first step: on this objective (a loss near 1, the
    # gradient spread over 3*H*W values) that changes the float32 loss by less than its resolution,
    # the line search returns t = 0 and the run stops after one iteration. So it optimises
    # y = x / s with s = ||g0||_1 / ||g0||_inf, which makes its first trial step the course's
    # (the largest pixel moves by one grey level); later L-BFGS steps do not depend on such a
    # scale.
    y = (x0 / scale).requires_grad_(True)
    optimiser = torch.optim.LBFGS([y], lr=1, max_iter=spec["iterations"],
                                  max_eval=spec["max_evaluations"], tolerance_grad=1e-10,
                                  tolerance_change=0, history_size=spec["memory"],
                                  line_search_fn="strong_wolfe")
    record = {}

    def closure():
        optimiser.zero_grad()
        loss = loss_of(y * scale)
        loss.backward()
        record.setdefault("loss_start", loss.item())
        return loss

    optimiser.step(closure)
    seconds = time.perf_counter() - started
    state = optimiser.state[y]
    with torch.no_grad():
        final = loss_of(y * scale).item()  # after timing: the loss at the final x
    return {"seconds": seconds, "evaluations": state["func_evals"], "iterations": state["n_iter"],
            "loss_start": record["loss_start"], "loss": final, "first_step_scale": scale,
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with open(os.path.join(args.folder, "spec.json")) as f:
        spec = json.load(f)
    torch.set_num_threads(spec["threads"])
    arrays = read_arrays(args.folder, spec)
    x0 = torch.from_numpy(np.fromfile(os.path.join(args.folder, "x0.bin"), dtype=np.float64))
    scale = first_step_scale(spec, arrays, x0)  # before the clock starts
    for _ in range(args.runs):
        print(json.dumps(transfer(spec, arrays, x0, scale)), flush=True)


if __name__ == "__main__":
    main()
