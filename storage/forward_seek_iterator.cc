#include "storage/forward_seek_iterator.h"

namespace dpmon {

// Every column family orders keys bytewise (RocksDB's default comparator),
// as Slice::compare does.
void ForwardSeekIterator::Seek(const rocksdb::Slice& target) {
  if (known_ && target.compare(rocksdb::Slice(lo_)) >= 0) {
    // No key lies in [lo_, where it stands): where it stands, or a few keys
    // on, is the first key >= target.
    for (int step = 0; it_->status().ok(); ++step) {
      if (!it_->Valid() || it_->key().compare(target) >= 0) {
        lo_.assign(target.data(), target.size());
        ++stepped_;
        return;
      }
      if (step == kMaxSteps) break;
      Next();
    }
  }
  it_->Seek(target);
  ++sought_;
  known_ = true;
  lo_.assign(target.data(), target.size());
}

void ForwardSeekIterator::Next() {
  // After Next from key k it stands on the first key after k: the first
  // key >= k followed by a zero byte.
  if (it_->Valid()) {
    const rocksdb::Slice k = it_->key();
    lo_.assign(k.data(), k.size());
    lo_.push_back('\0');
    known_ = true;
  } else {
    known_ = false;
  }
  it_->Next();
}

}  // namespace dpmon
