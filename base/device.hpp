// How code that cannot include libtorch reaches it. The `oversight` executable does not
// link libtorch: it installs a loader (tools/torch_module.hpp) that brings in the
// libtorch module, and the parts that need libtorch only sometimes (a trainer wider than
// the hand-written ones, a GPU) call load_libtorch() when they do. Binaries that link
// libtorch install none: theirs is loaded before main().
#pragma once

namespace oversight {

/// Installs what load_libtorch() calls (once per process; it may throw).
void set_libtorch_loader(void (*load)());

/// Runs the installed loader the first time it is called and after each failure (a
/// failed load throws the loader's exception); nothing when no loader is installed.
/// Safe to call from several threads at once: one of them loads, the others wait.
void load_libtorch();

/// Whether this machine may have a GPU that CUDA can use, without loading libtorch to
/// ask: NVIDIA's driver is there (/proc/driver/nvidia/version or /dev/nvidiactl) and
/// CUDA_VISIBLE_DEVICES, when set, names a device. Only then is libtorch loaded to
/// learn whether trainers run on a GPU (policies/nets.hpp: trainers_on_gpu).
bool gpu_may_be_present();

}  // namespace oversight
