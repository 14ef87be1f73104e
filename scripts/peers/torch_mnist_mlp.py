# The peer of `clnet bench`: Keras's mnist_mlp (784-512-512-10, relu, softmax + cross-entropy,
# RMSprop lr 1e-3 rho 0.9, Glorot-uniform weights, zero biases) in PyTorch, on the same MNIST
# files, data resident in memory, shuffled each epoch. Prints one line of JSON: training and
# inference samples per second (the median of the timed epochs / passes, after a warm-up).
#   python3 torch_mnist_mlp.py DATA_DIR [--device cpu|cuda] [--batch 128] [--threads N] [--epochs 3]
import argparse, json, os, statistics, sys, time
import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--device", default="cpu")
p.add_argument("--batch", type=int, default=128)
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--epochs", type=int, default=3)
a = p.parse_args()
torch.set_num_threads(a.threads)
dev = torch.device(a.device)


def idx(path):
    for name in (path, path + ".gz"):
        if os.path.exists(name):
            import gzip
            with (gzip.open(name, "rb") if name.endswith(".gz") else open(name, "rb")) as f:
                data = f.read()
            ndim = data[3]
            dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    sys.exit("no file " + path)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


xtr = torch.tensor(idx(a.data + "/train-images-idx3-ubyte").reshape(-1, 784) / 255.0, dtype=torch.float32, device=dev)
ytr = torch.tensor(idx(a.data + "/train-labels-idx1-ubyte").astype(np.int64), device=dev)
xte = torch.tensor(idx(a.data + "/t10k-images-idx3-ubyte").reshape(-1, 784) / 255.0, dtype=torch.float32, device=dev)
yte = torch.tensor(idx(a.data + "/t10k-labels-idx1-ubyte").astype(np.int64), device=dev)
torch.manual_seed(42)
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 10)).to(dev)
for m in model:
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        torch.nn.init.zeros_(m.bias)
opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
n = xtr.shape[0]


def train_epoch():
    sync(); t0 = time.perf_counter()
    perm = torch.randperm(n, device=dev)
    model.train()
    for s in range(0, n, a.batch):
        i = perm[s:s + a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
    sync()
    return time.perf_counter() - t0


def infer_pass():
    sync(); t0 = time.perf_counter()
    model.eval()
    with torch.no_grad():
        for s in range(0, xte.shape[0], a.batch):
            model(xte[s:s + a.batch])
    sync()
    return time.perf_counter() - t0


train_epoch()  # warm-up
train_times = [train_epoch() for _ in range(a.epochs)]
infer_pass()
infer_times = [infer_pass() for _ in range(5)]
with torch.no_grad():
    acc = (model(xte).argmax(1) == yte).float().mean().item()
steps = (n + a.batch - 1) // a.batch
t = statistics.median(train_times)
print(json.dumps({"peer": "pytorch " + torch.__version__, "device": a.device, "threads": torch.get_num_threads(),
                  "batch": a.batch, "train_samples_per_s": round(n / t, 1), "ms_per_step": round(t / steps * 1e3, 3),
                  "inference_samples_per_s": round(xte.shape[0] / statistics.median(infer_times), 1),
                  "test_accuracy_after": round(acc, 4), "epochs_timed": a.epochs,
                  "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}), flush=True)
