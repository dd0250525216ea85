"""functions_ref.py - seed_trig and tfim_vqe computed independently of
tests/functions.c, from their definitions in shared/bench/FUNCTIONS.md, with
the Python standard library only:

  seed_trig  the table of signs and sine/cosine rows is read from
             FUNCTIONS.md itself, not from our C transcription of it;
  tfim_vqe   dense 16x16 matrices: each gate is the Kronecker product of its
             2x2 (or CNOT's 4x4) matrix with identities, the state is their
             product applied to |0000>, and H is built from Pauli matrices,
             so nothing is shared with the C code's in-place amplitude
             updates.

Prints "name value" lines, in 17 significant digits, for the points that
tests/unit/test_functions.c pins (x_i = 0.3 i - 1.2; theta_i = 0.1 (i + 1)
- 0.7) and the exact ground energy of H by power iteration on a shifted H.

    python3 tests/reference/functions_ref.py path/to/FUNCTIONS.md
"""
import cmath
import math
import re
import sys


def seed_rows(path):
    text = open(path).read()
    block = text[text.index("## seed_trig"):text.index("## tfim_vqe")]
    rows = re.findall(r"^(\d)\s+([+-])\s+([SC]{10})\s*$", block, re.M)
    assert len(rows) == 10, rows
    return [(1.0 if s == "+" else -1.0, f) for _, s, f in rows]


def seed_trig(x, rows):
    e = 0.0
    for sign, f in rows:
        p = 1.0
        for i, kind in enumerate(f):
            v = math.sin(x[i]) if kind == "S" else math.cos(x[i])
            p *= v * v
        e += sign * p
    return e


def matmul(a, b):
    n, m, k = len(a), len(b[0]), len(b)
    return [[sum(a[i][t] * b[t][j] for t in range(k)) for j in range(m)] for i in range(n)]


def kron(a, b):
    return [[a[i // len(b)][j // len(b[0])] * b[i % len(b)][j % len(b[0])]
             for j in range(len(a[0]) * len(b[0]))] for i in range(len(a) * len(b))]


I2 = [[1, 0], [0, 1]]
X = [[0, 1], [1, 0]]
Z = [[1, 0], [0, -1]]


def on_qubit(g, q):
    """g on qubit q of 4; basis index b = sum_q bit_q 2^q, so qubit 3 is the
    most significant factor of the Kronecker product."""
    m = [[1]]
    for k in (3, 2, 1, 0):
        m = kron(m, g if k == q else I2)
    return m


def cnot(c, t):
    m = [[0] * 16 for _ in range(16)]
    for b in range(16):
        m[b ^ (1 << t) if (b >> c) & 1 else b][b] = 1
    return m


def ry(a):
    c, s = math.cos(a / 2), math.sin(a / 2)
    return [[c, -s], [s, c]]


def rz(a):
    return [[cmath.exp(-0.5j * a), 0], [0, cmath.exp(0.5j * a)]]


def hamiltonian():
    h = [[0] * 16 for _ in range(16)]
    terms = [matmul(on_qubit(Z, q), on_qubit(Z, q + 1)) for q in range(3)]
    terms += [on_qubit(X, q) for q in range(4)]
    for t in terms:
        for i in range(16):
            for j in range(16):
                h[i][j] -= t[i][j]
    return h


def tfim_vqe(theta, h):
    psi = [[1]] + [[0]] * 15
    for l in range(2):
        for q in range(4):
            psi = matmul(on_qubit(ry(theta[8 * l + q]), q), psi)
        for q in range(4):
            psi = matmul(on_qubit(rz(theta[8 * l + 4 + q]), q), psi)
        for q in range(3):
            psi = matmul(cnot(q, q + 1), psi)
    hpsi = matmul(h, psi)
    return sum((psi[i][0].conjugate() * hpsi[i][0]).real if isinstance(psi[i][0], complex)
               else psi[i][0] * hpsi[i][0].real for i in range(16))


def ground_energy(h):
    """Lowest eigenvalue: power iteration on 10 I - H (H's spectrum lies in [-7, 7])."""
    v = [1.0 / (i + 1) for i in range(16)]
    lam = 0.0
    for _ in range(20000):
        w = [10 * v[i] - sum(h[i][j] * v[j] for j in range(16)) for i in range(16)]
        norm = math.sqrt(sum(abs(t) ** 2 for t in w))
        v = [t / norm for t in w]
        lam = norm
    return (10 - lam).real if isinstance(lam, complex) else 10 - lam


def main():
    rows = seed_rows(sys.argv[1])
    x = [0.3 * i - 1.2 for i in range(10)]
    theta = [0.1 * (i + 1) - 0.7 for i in range(16)]
    h = hamiltonian()
    print("seed_trig %.17g" % seed_trig(x, rows))
    print("tfim_vqe %.17g" % tfim_vqe(theta, h))
    print("tfim_vqe_zero %.17g" % tfim_vqe([0.0] * 16, h))
    print("tfim_ground %.17g" % ground_energy(h))


main()
