#!/usr/bin/env python3
"""vqe_driver.py - a lab-style driver: optimise a VQE energy through flowoptd.

The "hardware" is a pure-Python 16-amplitude statevector of the 4-qubit
transverse-field Ising ansatz of shared/bench/FUNCTIONS.md (tfim_vqe). The
driver asks for what the generation wants, measures each circuit, tells the
energies back, and repeats, on the flowopt package (clients/python: it
retries, keys its asks, and maps problems to flowopt.ApiError).

    FLOWOPT_URL=http://127.0.0.1:8080 python3 examples/vqe_driver.py [evaluations]

FLOWOPT_TOKEN, when set, is sent as the API token (flowoptd --tokens-file).
Without the package installed it is taken from the checkout.
"""
import cmath
import math
import os
import sys

try:
    import flowopt
except ImportError:  # run from the checkout
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "clients", "python"))
    import flowopt


def tfim_energy(theta):
    """<psi(theta)| -sum Z_q Z_q+1 - sum X_q |psi(theta)> for 4 qubits."""
    psi = [0j] * 16
    psi[0] = 1.0

    def ry(q, a):
        c, s = math.cos(a / 2), math.sin(a / 2)
        for b in range(16):
            if not (b >> q) & 1:
                a0, a1 = psi[b], psi[b | 1 << q]
                psi[b], psi[b | 1 << q] = c * a0 - s * a1, s * a0 + c * a1

    def rz(q, a):
        for b in range(16):
            psi[b] *= cmath.exp(1j * a / 2 if (b >> q) & 1 else -1j * a / 2)

    def cnot(c, t):
        for b in range(16):
            if (b >> c) & 1 and not (b >> t) & 1:
                psi[b], psi[b | 1 << t] = psi[b | 1 << t], psi[b]

    for layer in range(2):
        for q in range(4):
            ry(q, theta[8 * layer + q])
        for q in range(4):
            rz(q, theta[8 * layer + 4 + q])
        for q in range(3):
            cnot(q, q + 1)
    energy = 0.0
    for b in range(16):
        p = abs(psi[b]) ** 2
        for q in range(3):
            energy -= p if ((b >> q) & 1) == ((b >> (q + 1)) & 1) else -p
        for q in range(4):
            energy -= (psi[b].conjugate() * psi[b ^ (1 << q)]).real
    return energy


def main():
    budget = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    client = flowopt.Client()
    # the angles are periodic: the run hands out x wrapped into [-pi, pi)
    run = client.create_run(dim=16, bounds=(-math.pi, math.pi), periodic=True,
                            name="tfim vqe driver", budget=budget)
    batch = run.data["config"]["batch_size"]
    print("run", run.id, "batch", batch)
    # ask what the generation still wants: while the run's model ranks a
    # generation that is one or two circuits, not the whole batch
    wanted = run.data["counters"]["wanted"] or batch
    told = 0
    while told < budget:
        samples = run.ask(wanted)
        for s in samples:
            s.value = tfim_energy(s.x)
        reply = run.tell(samples)
        told += reply["accepted"]
        wanted = reply["wanted"] or batch
        for row in reply["updates"]:
            if row["step"] % 20 == 0:
                print("step %d evaluations %d best %.6f" % (
                    row["step"], row["evaluations"], row["best_ever"]))
    best = run.best()
    print("best energy %.6f (exact ground state -4.758770)" % best["value"])
    return best["value"]


if __name__ == "__main__":
    main()
