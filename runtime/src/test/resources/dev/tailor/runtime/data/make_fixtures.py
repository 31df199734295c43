"""Writes the data-format fixtures of dev.tailor.runtime.data's tests into the folder given as the argument.

Run by the tests themselves with Debian's /usr/bin/python3 (python3-numpy, python3-onnx), so the files are what
NumPy and onnx really write. For every array NAME.npy written here, NAME.bytes holds the values the reader must
produce (C order, little-endian) and NAME.shape its shape.
"""
import os
import sys
import zipfile

import numpy as np
from numpy.lib import format as npformat
from onnx import numpy_helper

out = sys.argv[1]


def path(*parts):
    p = os.path.join(out, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def expect(name, a):
    c = np.ascontiguousarray(a)
    c = c.astype(c.dtype.newbyteorder('<'))
    with open(path(name + '.bytes'), 'wb') as f:
        f.write(c.tobytes())
    with open(path(name + '.shape'), 'w') as f:
        f.write(' '.join(str(d) for d in a.shape))


def save(name, a):
    np.save(path(name + '.npy'), a)
    expect(name, a)


# Every supported dtype, with its extreme values.
for code in ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']:
    dt = np.dtype('<' + code if code != 'b1' else code)
    if code == 'b1':
        a = np.array([[True, False, True, True], [False, False, True, False]])
    elif dt.kind == 'f':
        a = np.array([[0, 1.5, -2.25, np.finfo(dt).max], [np.pi, -0.0, 1e-3, np.finfo(dt).tiny]], dtype=dt)
    else:
        info = np.iinfo(dt)
        a = np.array([[0, 1, info.min, info.max], [3, 2, 42, 7]], dtype=dt)
    save('dtype_' + code, a)

# Format versions 1.0, 2.0 and 3.0 of the same array.
v = np.arange(12, dtype='<f4').reshape(3, 4) / 4
for major in (1, 2, 3):
    with open(path('version_%d.npy' % major), 'wb') as f:
        npformat.write_array(f, v, version=(major, 0))
expect('version', v)

# Big-endian and Fortran-ordered arrays, a scalar and an empty array.
save('big_f4', (np.arange(6, dtype='>f4') - 2.5).reshape(2, 3))
save('big_i8', np.array([1, -2, 2 ** 40, -(2 ** 62)], dtype='>i8'))
save('fortran_i4', np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)))
save('fortran_f8', np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3) * 1.5))
save('scalar', np.float32(3.5))
save('empty', np.zeros((0, 3), dtype='<f4'))

# For single-input models: token ids (gpt2_tiny) and a too-small image (cnn_small wants 32x32).
save('ids', np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], dtype=np.int64))
np.save(path('image16.npy'), np.zeros((1, 3, 16, 16), dtype=np.float32))

# Dtypes Tailor does not read.
np.save(path('unicode.npy'), np.array(['ab', 'c']))
np.save(path('complex.npy'), np.array([1 + 2j], dtype='<c8'))
np.save(path('structured.npy'), np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))

# .npz archives for all-MiniLM-L6-v2 (input_ids, attention_mask, token_type_ids: int64 [batch, sequence]).
ids = np.array([[101, 7592, 1010, 2088, 999, 102], [101, 2023, 2003, 1037, 3231, 102]], dtype=np.int64)
mask = np.ones_like(ids)
types = np.zeros_like(ids)
np.savez(path('minilm.npz'), input_ids=ids, attention_mask=mask, token_type_ids=types)
np.savez_compressed(path('minilm_compressed.npz'), input_ids=ids, attention_mask=mask, token_type_ids=types)
np.savez(path('minilm_float_ids.npz'), input_ids=ids.astype(np.float64), attention_mask=mask, token_type_ids=types)
np.savez(path('minilm_missing.npz'), input_ids=ids, attention_mask=mask)
np.savez(path('minilm_extra.npz'), input_ids=ids, attention_mask=mask, token_type_ids=types,
         pixel_values=np.zeros((1, 3), dtype=np.float32))
np.savez(path('minilm_rank.npz'), input_ids=ids[None], attention_mask=mask, token_type_ids=types)
np.savez(path('minilm_lengths.npz'), input_ids=ids, attention_mask=mask[:, :5], token_type_ids=types)
np.savez(path('minilm_positional.npz'), ids, mask, types)
expect('minilm_ids', ids)
rows = np.tile(ids, (3, 1))[:5]
np.savez(path('minilm_rows5.npz'), input_ids=rows, attention_mask=np.ones_like(rows), token_type_ids=np.zeros_like(rows))
expect('minilm_rows5_ids', rows)
with zipfile.ZipFile(path('with_text.npz'), 'w') as z:
    z.writestr('input_ids.npy', open(path('dtype_i8.npy'), 'rb').read())
    z.writestr('notes.txt', 'not an array')

# A folder of .npz files: one batch each.
np.savez(path('arrays', 'a.npz'), input_ids=ids, attention_mask=mask, token_type_ids=types)
np.savez_compressed(path('arrays', 'b.npz'), input_ids=ids[:1], attention_mask=mask[:1], token_type_ids=types[:1])


# TensorProto folders: unnamed tensors (mapped by position), and test_data_set_N folders of named ones.
def write_pb(p, a, name):
    with open(path(p), 'wb') as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


for i, a in enumerate([ids, mask, types]):
    write_pb('pb_positional/input_%d.pb' % i, a, '')
write_pb('pb_positional/output_0.pb', np.zeros((2, 6, 384), dtype=np.float32), 'last_hidden_state')
for n in (0, 1, 2, 10):
    rows = np.tile(ids, (n + 1, 1))[:n + 1]
    # Named, in an order other than the model's, so that only names can map them.
    for i, (name, a) in enumerate([('token_type_ids', np.zeros_like(rows)), ('input_ids', rows),
                                   ('attention_mask', np.ones_like(rows))]):
        write_pb('pb_sets/test_data_set_%d/input_%d.pb' % (n, i), a, name)
