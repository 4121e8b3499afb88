#pragma once
// Which HDF5 releases have H5Pset_file_locking (locks that may be ignored where the file system has
// none) and read HDF5_USE_FILE_LOCKING fully ("FALSE"/"0", "TRUE"/"1", "BEST_EFFORT"): 1.10.7 and
// later 1.10 releases, and 1.12.1 onwards. 1.12.0 has neither. Private to the store.

#include <hdf5.h>

#define KHSWEEP_HDF5_HAS_FILE_LOCKING_PROPERTY \
  (H5_VERSION_GE(1, 10, 7) && !(H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12 && H5_VERS_RELEASE == 0))
