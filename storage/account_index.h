// The account index (keys.h, account_index): the entries that find an
// account by its officer, person_ref, external references, the words of its
// display name, and whether it has recoveries. Kept in the same write as
// every change of an account record. Store's reads of it, and its case
// notes (an account's append-only notes, table `notes`), are in
// account_index.cc too. Not for use outside storage/.
#ifndef DPMON_STORAGE_ACCOUNT_INDEX_H_
#define DPMON_STORAGE_ACCOUNT_INDEX_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dpmon/v1/resources.pb.h"
#include "rocksdb/db.h"
#include "storage/write_context.h"

namespace dpmon {

// Every account_index entry (key, value) of one account, sorted by key:
// a name word's value is the display name, the others' empty.
std::vector<std::pair<std::string, std::string>> AccountIndexEntries(absl::string_view council,
                                                                     absl::string_view account_id,
                                                                     const v1::Account& account);
// Every account_index key of one account, sorted.
std::vector<std::string> AccountIndexKeys(absl::string_view council, absl::string_view account_id,
                                          const v1::Account& account);

// Brings the index in line with an account record written as `after`;
// `before` is the record it replaces (nullptr for a new account).
absl::Status ReindexAccount(WriteContext& ctx, absl::string_view council,
                            absl::string_view account_id, const v1::Account* before,
                            const v1::Account& after);

// Builds the whole index from the accounts, in one synced write: the
// upgrade from schema versions 3 and 4.
absl::Status BuildAccountIndex(rocksdb::DB* db,
                               const std::vector<rocksdb::ColumnFamilyHandle*>& cfs);

}  // namespace dpmon

#endif  // DPMON_STORAGE_ACCOUNT_INDEX_H_
