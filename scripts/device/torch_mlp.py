# Peer timing for clnet bench on the GPU machine: Keras's mnist_mlp in PyTorch, data resident on the
# device, the same recipe (Glorot init, zero biases, RMSprop lr 1e-3 rho 0.9, batch 128, 5 epochs;
# PyTorch adds RMSprop's epsilon outside the square root, Keras inside).
import gzip, sys, time
import numpy as np
import torch

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)

d = sys.argv[1]
dev = torch.device("cuda")
xtr = torch.tensor(idx(d + "/train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=torch.float32, device=dev)
ytr = torch.tensor(idx(d + "/train-labels-idx1-ubyte.gz").astype(np.int64), device=dev)
xte = torch.tensor(idx(d + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=torch.float32, device=dev)
yte = torch.tensor(idx(d + "/t10k-labels-idx1-ubyte.gz").astype(np.int64), device=dev)
torch.manual_seed(42)
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 10)).to(dev)
for m in model:
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight); torch.nn.init.zeros_(m.bias)
opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(5):
    torch.cuda.synchronize(); t0 = time.time()
    perm = torch.randperm(60000, device=dev)
    model.train()
    for s in range(0, 60000, 128):
        i = perm[s:s + 128]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xtr[i]), ytr[i])
        loss.backward(); opt.step()
    torch.cuda.synchronize(); t1 = time.time()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"torch epoch {epoch + 1}: train {t1 - t0:.2f}s ({(t1 - t0) / 469 * 1e3:.2f} ms/step), test accuracy {acc:.4f}",
          flush=True)
