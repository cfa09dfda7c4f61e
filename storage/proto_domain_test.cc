// The bridge between the API's messages and domain/'s values: the enums'
// names agree with the API's, an account's status is read once, and a
// policy survives the round trip.
#include "storage/proto_domain.h"

#include "gtest/gtest.h"

namespace dpmon {
namespace {

TEST(ProtoDomain, EnumNamesMatchTheApi) {
  for (int i = 0; i <= v1::Category_MAX; ++i) {
    ASSERT_TRUE(v1::Category_IsValid(i));
    EXPECT_EQ(domain::CategoryName(static_cast<domain::Category>(i)),
              v1::Category_Name(static_cast<v1::Category>(i)));
  }
  for (int i = 0; i <= v1::FlagKind_MAX; ++i) {
    ASSERT_TRUE(v1::FlagKind_IsValid(i));
    EXPECT_EQ(domain::FlagKindName(static_cast<domain::FlagKind>(i)),
              v1::FlagKind_Name(static_cast<v1::FlagKind>(i)));
  }
  EXPECT_EQ(domain::CategoryName(static_cast<domain::Category>(v1::Category_MAX + 1)), "");
}

TEST(ProtoDomain, PolicyRoundTrip) {
  v1::Policy p = PolicyToProto(domain::DefaultPolicy());
  p.add_category_rules()->set_mcc("8050");
  p.mutable_category_rules(0)->set_category(v1::AGENCY_CARE);
  p.set_surplus_retain_weeks(3);
  v1::Policy back = PolicyToProto(PolicyFromProto(p));
  EXPECT_EQ(back.SerializeAsString(), p.SerializeAsString());
  EXPECT_EQ(PolicyFromProto(p).surplus_retain_weeks, 3);
  EXPECT_EQ(PolicyFromProto(p).category_rules.at(0).category, domain::AGENCY_CARE);
}

TEST(StatusAt, LaterRecordedWinsOnTheSameDate) {
  v1::Account a;
  a.set_start_date("2025-01-01");
  auto add = [&](const char* date, v1::AccountStatus s) {
    v1::StatusChange* c = a.add_status_history();
    c->set_date(date);
    c->set_status(s);
  };
  add("2025-06-01", v1::SUSPENDED);
  add("2025-03-01", v1::CLOSED);
  add("2025-06-01", v1::ACTIVE);
  EXPECT_EQ(ToProto(*StatusAtOf(a, *Date::Parse("2025-02-28"))), v1::ACTIVE);
  EXPECT_EQ(ToProto(*StatusAtOf(a, *Date::Parse("2025-03-01"))), v1::CLOSED);
  EXPECT_EQ(ToProto(*StatusAtOf(a, *Date::Parse("2025-06-01"))), v1::ACTIVE);
}

TEST(StatusAt, AnUnreadableStoredDateIsDataLoss) {
  v1::Account a;
  a.set_start_date("2025-01-01");
  v1::StatusChange* c = a.add_status_history();
  c->set_date("2025-02-30");
  c->set_status(v1::CLOSED);
  EXPECT_EQ(StatusAtOf(a, *Date::Parse("2025-06-01")).status().code(), absl::StatusCode::kDataLoss);
  domain::AccountModel m;
  EXPECT_EQ(AccountModelFromProto(a, &m).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dpmon
