"""Writer for drift's golden files (read by tests/testutil.c).

Layout, little endian: b"DRGOLD1\\0", u32 count, then for each tensor
u32 name_len, name, u32 ndim, u32 dims[ndim], float32 data.
"""
import struct

import numpy as np


def write(path, tensors):
    """tensors: dict name -> array-like (torch tensors are detached)."""
    with open(path, "wb") as f:
        f.write(b"DRGOLD1\0")
        f.write(struct.pack("<I", len(tensors)))
        for name, value in tensors.items():
            if hasattr(value, "detach"):
                value = value.detach().cpu().numpy()
            arr = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
            raw = name.encode()
            f.write(struct.pack("<I", len(raw)))
            f.write(raw)
            f.write(struct.pack("<I", arr.ndim))
            f.write(struct.pack("<%dI" % arr.ndim, *arr.shape))
            f.write(arr.tobytes())
