"""Row blocking: the one primitive every pass over X uses."""

_CHUNK_ELEMENTS = 1 << 16


def row_chunks(n_rows: int, n_cols: int):
    """Slices of rows such that a chunk holds about 2**16 values."""
    step = max(1, _CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))
