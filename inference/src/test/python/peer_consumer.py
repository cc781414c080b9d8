#!/usr/bin/python3
"""The consumer a Python user would write instead of Osprey: confluent-kafka + PyTorch.

Reads Osprey sample events (JSON, base64 uint8 tensors) from a topic, normalizes them, runs the
same network with the same weights in batches, writes one prediction per sample and commits the
consumer offsets after each batch (at-least-once: no transactions). It stops after --count samples
and prints one JSON line with its throughput, for the benchmark that runs it side by side with
Osprey's inference service on the same broker.

The network is rebuilt from the version's fp32 ONNX graph (Conv/Relu/MaxPool/Flatten/Gemm, batch
norm already folded into the convolutions and dense layers, so it computes exactly what the served
fp32 graph computes), as torch.nn modules: PyTorch eager mode, as a user would run it.
"""
import argparse
import base64
import json
import sys
import time

import numpy as np
import onnx
import torch
from confluent_kafka import Consumer, Producer, TopicPartition
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def build_network(onnx_path):
    """torch.nn.Sequential equivalent to a chain-shaped ONNX classifier graph; returns (net, has_softmax)."""
    model = onnx.load(onnx_path)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    layers = []
    for node in model.graph.node:
        a = attrs(node)
        if node.op_type == "Conv":
            w = inits[node.input[1]]
            pads = a.get("pads", [0, 0, 0, 0])
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=tuple(a.get("strides", [1, 1])),
                                   padding=(pads[0], pads[1]), bias=len(node.input) > 2)
            conv.weight.data = w
            if len(node.input) > 2:
                conv.bias.data = inits[node.input[2]]
            layers.append(conv)
        elif node.op_type == "Relu":
            layers.append(torch.nn.ReLU())
        elif node.op_type == "MaxPool":
            layers.append(torch.nn.MaxPool2d(tuple(a["kernel_shape"]), stride=tuple(a.get("strides", a["kernel_shape"]))))
        elif node.op_type in ("Flatten", "Reshape"):
            layers.append(torch.nn.Flatten())
        elif node.op_type in ("Gemm", "MatMul"):
            w = inits[node.input[1]]
            if node.op_type == "MatMul" or not a.get("transB", 0):
                w = w.t()
            lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=len(node.input) > 2)
            lin.weight.data = w.contiguous()
            if len(node.input) > 2:
                lin.bias.data = inits[node.input[2]]
            layers.append(lin)
        elif node.op_type in ("Identity", "Dropout", "Softmax"):
            continue
        else:
            raise SystemExit(f"unsupported op {node.op_type} in {onnx_path}")
    return torch.nn.Sequential(*layers).eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--model", required=True, help="fp32 ONNX graph of the served version")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--mean", type=float, default=0.1307)
    p.add_argument("--std", type=float, default=0.3081)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    net = build_network(args.model)
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    consumer.subscribe([args.topic])
    done = 0
    first = None
    with torch.inference_mode():
        while done < args.count:
            msgs = consumer.consume(num_messages=args.batch, timeout=1.0)
            msgs = [m for m in msgs if m.error() is None]
            if not msgs:
                continue
            if first is None:
                first = time.perf_counter()
            ids, pixels = [], []
            for m in msgs:
                event = json.loads(m.value())
                t = event["tensor"]
                ids.append(event["id"])
                pixels.append(np.frombuffer(base64.b64decode(t["data"]), dtype=np.uint8).reshape(t["shape"]))
            x = (torch.from_numpy(np.stack(pixels).astype(np.float32)) / 255.0 - args.mean) / args.std
            probs = torch.softmax(net(x), dim=1)
            conf, label = probs.max(dim=1)
            for i, sample_id in enumerate(ids):
                producer.produce(args.output, key=sample_id, value=json.dumps({
                    "sampleId": sample_id, "label": int(label[i]), "confidence": float(conf[i]),
                    "probabilities": probs[i].tolist()}))
            producer.poll(0)
            producer.flush()
            consumer.commit(asynchronous=False)
            done += len(msgs)
    elapsed = time.perf_counter() - first
    consumer.close()
    print(json.dumps({"samples": done, "seconds": elapsed, "samples_per_second": done / elapsed}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
