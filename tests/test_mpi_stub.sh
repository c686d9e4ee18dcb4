#!/bin/sh
# test_mpi_stub.sh: drift built without MPI refuses to train as several
# copies under mpirun (each would train alone and overwrite the same files),
# with a message saying how to build it with MPI; alone it trains as usual.
#   sh test_mpi_stub.sh DRIFT_BINARY
set -u
DRIFT=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "test_mpi_stub: FAILED: $*"; exit 1; }
printf 'data = fashion-mnist\nsize = 32\nlimit = 16\nbase_channels = 8\nchannel_mults = 1,2\nres_blocks = 1\ngroups = 4\nmid_attention = 0\nsteps = 2\nbatch = 4\nwarmup = 0\n' \
    > "$WORK/tiny.recipe"
# What mpirun -np 2 puts in each copy's environment.
if OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$DRIFT" train "$WORK/tiny.recipe" -o "$WORK/m.safetensors" \
    --quiet 2> "$WORK/err.txt"; then
    fail "trained as one of 2 copies without MPI"
fi
grep -q "built without MPI" "$WORK/err.txt" || fail "unclear message: $(cat "$WORK/err.txt")"
grep -q "DRIFT_MPI=ON" "$WORK/err.txt" || fail "message does not say how to build with MPI"
[ ! -e "$WORK/m.safetensors" ] || fail "a model was written"
OMPI_COMM_WORLD_SIZE=1 "$DRIFT" train "$WORK/tiny.recipe" -o "$WORK/m.safetensors" --quiet > /dev/null \
    || fail "a single copy did not train"
[ -s "$WORK/m.safetensors" ] || fail "no model from a single copy"
echo "test_mpi_stub: passed"
