// ForwardSeekIterator: a rocksdb::Iterator for reads that move forwards
// through one region of keys, as an evaluation does when it reads every
// account in key order. A Seek to a key at or a few keys past where the
// iterator stands steps there with Next (about a tenth of a Seek's cost
// with the blocks cached) instead of seeking again; every other Seek, and
// everything else, is the wrapped iterator's own.
//
// Exact: it steps only when it knows no key lies between the keys it has
// passed and where it stands (it stands on the first key at or after the
// last Seek's target, or just after a key it moved from with Next).
//
// Thread-safety: as a rocksdb::Iterator (one thread at a time).
#ifndef DPMON_STORAGE_FORWARD_SEEK_ITERATOR_H_
#define DPMON_STORAGE_FORWARD_SEEK_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/iterator.h"

namespace dpmon {

class ForwardSeekIterator : public rocksdb::Iterator {
 public:
  // At most this many Next calls replace a Seek.
  static constexpr int kMaxSteps = 4;

  explicit ForwardSeekIterator(rocksdb::Iterator* it) : it_(it) {}

  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override {
    known_ = false;
    it_->SeekToFirst();
  }
  void SeekToLast() override {
    known_ = false;
    it_->SeekToLast();
  }
  void Seek(const rocksdb::Slice& target) override;
  void SeekForPrev(const rocksdb::Slice& target) override {
    known_ = false;
    it_->SeekForPrev(target);
  }
  void Next() override;
  void Prev() override {
    known_ = false;
    it_->Prev();
  }
  rocksdb::Slice key() const override { return it_->key(); }
  rocksdb::Slice value() const override { return it_->value(); }
  rocksdb::Status status() const override { return it_->status(); }

  // How many Seeks were answered by stepping, and how many sought (tests
  // and benchmarks).
  int64_t stepped() const { return stepped_; }
  int64_t sought() const { return sought_; }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  // When known_: it_ stands on the first key >= lo_ (or at the end if there
  // is none).
  bool known_ = false;
  std::string lo_;
  int64_t stepped_ = 0, sought_ = 0;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_FORWARD_SEEK_ITERATOR_H_
