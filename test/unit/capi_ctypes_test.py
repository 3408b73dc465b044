"""The ds4 C API (runtime/include/ds4/ds4.h) through Python ctypes, on the fake model.

Usage: capi_ctypes_test.py LIBDS4_RUNTIME.so DS4_TEST_INPUTS FAKE_KERNEL.so
Exits non-zero with a message on the first failed check.
"""
import ctypes
import os
import sys
import tempfile
import subprocess


def main():
    lib_path, inputs_tool, kernel = sys.argv[1:4]
    lib = ctypes.CDLL(lib_path)
    c_char_pp = ctypes.POINTER(ctypes.c_char_p)
    i32p = ctypes.POINTER(ctypes.c_int32)
    f32p = ctypes.POINTER(ctypes.c_float)
    lib.ds4_session_create.restype = ctypes.c_void_p
    lib.ds4_session_create.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                       ctypes.POINTER(ctypes.c_void_p)]
    lib.ds4_session_destroy.argtypes = [ctypes.c_void_p]
    for name in ("ds4_vocab_size", "ds4_max_batch", "ds4_max_seq_len"):
        getattr(lib, name).restype = ctypes.c_int64
        getattr(lib, name).argtypes = [ctypes.c_void_p]
    lib.ds4_prefill.argtypes = [ctypes.c_void_p, ctypes.c_int32, i32p, ctypes.c_size_t, f32p]
    lib.ds4_decode.argtypes = [ctypes.c_void_p, ctypes.c_size_t, i32p, i32p, f32p]
    lib.ds4_last_error.restype = ctypes.c_char_p
    lib.ds4_last_error.argtypes = [ctypes.c_void_p]
    lib.ds4_free.argtypes = [ctypes.c_void_p]
    lib.ds4_sampler_create.restype = ctypes.c_void_p
    lib.ds4_sampler_create.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_uint64,
                                       ctypes.POINTER(ctypes.c_void_p)]
    lib.ds4_sample.argtypes = [ctypes.c_void_p, f32p, ctypes.c_size_t, i32p]
    lib.ds4_sampler_destroy.argtypes = [ctypes.c_void_p]

    def check(cond, what):
        if not cond:
            sys.exit("capi-ctypes: FAILED: " + what)

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([inputs_tool, "fake-model", d, kernel], check=True)
        artifact = os.path.join(d, "fake.ds4").encode()
        weights = os.path.join(d, "fake.safetensors").encode()

        err = ctypes.c_void_p()
        s = lib.ds4_session_create(artifact, weights, b"cpu", ctypes.byref(err))
        check(s, "create failed: %s" % (ctypes.string_at(err.value) if err.value else None))
        vocab = lib.ds4_vocab_size(s)
        check(vocab == 16, "vocab %d" % vocab)
        check(lib.ds4_max_batch(s) == 4 and lib.ds4_max_seq_len(s) == 32, "limits")

        tokens = (ctypes.c_int32 * 3)(1, 2, 3)
        logits = (ctypes.c_float * (3 * vocab))()
        rc = lib.ds4_prefill(s, 1, tokens, 3, logits)
        check(rc == 0, "prefill: %s" % lib.ds4_last_error(s))
        check([logits[2 * vocab + i] for i in range(4)] == [2.0, 1.0, 3.0, 3.0],
              "prefill row 2: %s" % [logits[2 * vocab + i] for i in range(8)])

        slots = (ctypes.c_int32 * 1)(1)
        nxt = (ctypes.c_int32 * 1)(99)
        rc = lib.ds4_decode(s, 1, slots, nxt, None)
        check(rc != 0, "decode of token 99 succeeded")
        msg = lib.ds4_last_error(s).decode()
        check("token id 99 at position 0 is out of range (vocabulary size 16)" in msg, msg)
        nxt[0] = 7
        rc = lib.ds4_decode(s, 1, slots, nxt, logits)
        check(rc == 0, "decode: %s" % lib.ds4_last_error(s))
        check(logits[0] == 3.0 and logits[2] == 7.0, "decode row")

        sampler = lib.ds4_sampler_create(0.0, 1.0, 0, None)
        out = ctypes.c_int32(-1)
        check(lib.ds4_sample(sampler, logits, vocab, ctypes.byref(out)) == 0, "sample")
        best = max(range(vocab), key=lambda i: (logits[i], -i))
        check(out.value == best, "greedy %d != argmax %d" % (out.value, best))
        lib.ds4_sampler_destroy(sampler)
        lib.ds4_session_destroy(s)

        err = ctypes.c_void_p()
        s = lib.ds4_session_create(b"/nonexistent.ds4", weights, None, ctypes.byref(err))
        check(not s and err.value, "missing artifact accepted")
        msg = ctypes.string_at(err.value).decode()
        lib.ds4_free(err)
        check(msg.startswith("/nonexistent.ds4: cannot open artifact"), msg)
    print("capi-ctypes: ok")


if __name__ == "__main__":
    main()
