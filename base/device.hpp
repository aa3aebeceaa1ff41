// Whether this process trains on a GPU: set once by the code that loads libtorch (the
// device trainers use is "cuda"), read by the parts that cannot include libtorch (a node
// tells the runs it serves, so trainers are placed on nodes that have one).
#pragma once

namespace oversight {

/// True once libtorch found a CUDA device in this process; false before libtorch loads.
bool& accelerator_present();

}  // namespace oversight
