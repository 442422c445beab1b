"""The per-step products (``h U``, ``x_t W``) of the fused loops, and their
threads.

Why not one BLAS call per step
------------------------------
A recurrence multiplies a small ``(batch, units)`` matrix by the same
recurrent matrix ``U`` at every step.  BLAS ``gemm`` copies ("packs") both
operands into its internal layout on every call, so a loop of 100 calls packs
``U`` 100 times; for 32 x 128 times 128 x 512 that packing and the call
overhead cost more than the arithmetic.  Measured on the 2-core development
machine, one thread, float32 (``OPENBLAS_CORETYPE=Haswell``, as it is set
there):

============================  =============  ==============
product (m x k times k x n)   OpenBLAS gemm  packed product
============================  =============  ==============
16 x 128 times 128 x 512      25.7 us        8.6 us
32 x 128 times 128 x 512      42.9 us        17.1 us
32 x 512 times 512 x 128      41.6 us        16.9 us
============================  =============  ==============

So the fused ops pack ``U`` (or ``U^T`` for the backward pass; the forward
ops also ``W``, for the step's ``x_t W``) once per call, with
:c:func:`fused_pack`, into panels of ``NR`` columns: panel ``p`` holds
columns ``p*NR .. p*NR+NR-1`` of every row, row after row, zero-padded at the
right edge.  :c:func:`fused_packed_product` then computes ``C = A B`` (or
``C += A B``) block by block: a block of ``MR`` rows of ``C`` by one panel is
``MR x 2`` SIMD vectors kept in registers while ``k`` runs, each step loading
two vectors of the panel and broadcasting one element of ``A`` per row.  The
vectors are GCC vector extensions as wide as one register of the machine
(Theano compiles with its ``-march``): 64 bytes (16 floats, 8 doubles)
with AVX-512, 32 with AVX, 16 otherwise (``FUSED_VECTOR_BYTES``), and
``MR`` is 8 with AVX-512 (16 accumulators of the 32 registers) and 4
otherwise (8 of the 16).  A vector wider than the registers is not split
into them: 64-byte vectors compiled for an AVX2 machine (the 2-core AMD
EPYC of a later session, which has no AVX-512) ran the product at 1.6
GFLOP/s; 32-byte ones run it at 40-50 GFLOP/s on one core there, about
OpenBLAS's speed for one large product (``m = 32, k = 129, n = 384``,
100 steps: 200 ms -> 8 ms).

Threads
-------
The rows of a batch are independent through the whole recurrence, so the
loops split the batch across threads once per call (:c:func:`fused_parallel`)
and each thread runs every step for its rows: no synchronisation between
steps, unlike a multi-threaded BLAS call per step, whose threads wait for
each other 100 times per pass and degrade badly when another process takes a
core.  The number of threads is what OpenBLAS would use:
``$OPENBLAS_NUM_THREADS``, else ``$OMP_NUM_THREADS``, else the CPUs the
process may run on; each thread gets at least ``MR`` rows.
"""
