#pragma once
// The HDF5 virtual file driver of a store transaction ("khsweep_journal"): HDF5's sec2 driver
// (pread/pwrite on one descriptor) that saves a file's old bytes in the transaction's journal
// before it overwrites or truncates them. Private to the store; see docs/store-journal.md.

#include <hdf5.h>

#include <cstdint>
#include <memory>

#include "journal.hpp"

namespace khsweep::store {

// Open transactions' journals by key, so a file the driver opens finds its journal from the key in
// its file access property list.
std::uint64_t register_journal(std::shared_ptr<OpenJournal> journal);
void unregister_journal(std::uint64_t key) noexcept;

// The driver's id, registered on first use (and again if the library was closed meanwhile);
// negative if it cannot be registered.
hid_t journaling_driver();

// Makes `fapl` open files through `driver` as files of the journal registered under `key`, with
// HDF5's file locking on. False if HDF5 refuses.
bool set_journaling_driver(hid_t fapl, hid_t driver, std::uint64_t key);

}  // namespace khsweep::store
