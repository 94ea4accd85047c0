// Settings in the meta table (ferryd's bandwidth limits): stored, replaced, deleted, reloaded, and
// the high-water marks kept out of reach.

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::store;

TEST(StoreSettings, PutReplaceDeleteAndReload) {
  ferry::test::TempDir dir;
  const auto path = dir / "ferry.db";
  {
    auto store = Store::open(path);
    ASSERT_TRUE(store) << store.error().describe();
    ASSERT_TRUE((*store)->begin(true));
    ASSERT_TRUE((*store)->putMeta("limit:global", 1000));
    ASSERT_TRUE((*store)->putMeta("limit:global", 5242880));
    ASSERT_TRUE((*store)->putMeta("limit:session:a", 2048));
    ASSERT_TRUE((*store)->putMeta("limit:session:b", 4096));
    ASSERT_TRUE((*store)->deleteMeta("limit:session:b"));
    ASSERT_TRUE((*store)->deleteMeta("limit:session:never-set"));  // idempotent
    ASSERT_TRUE((*store)->commit());
  }
  auto store = Store::open(path);
  ASSERT_TRUE(store);
  auto snapshot = (*store)->load();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->meta, (std::map<std::string, std::int64_t>{{"limit:global", 5242880}, {"limit:session:a", 2048}}));
}

TEST(StoreSettings, TheHighWaterMarksAreNotSettings) {
  ferry::test::TempDir dir;
  auto store = Store::open(dir / "ferry.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->begin(true));
  for (const char* name : {"max_task_id", "max_event_seq", ""}) {
    auto put = (*store)->putMeta(name, 1);
    ASSERT_FALSE(put) << name;
    EXPECT_EQ(put.error().code, errc::internal);
    EXPECT_FALSE((*store)->deleteMeta(name));
  }
  ASSERT_TRUE((*store)->commit());
  auto snapshot = (*store)->load();
  ASSERT_TRUE(snapshot);
  EXPECT_TRUE(snapshot->meta.empty());
  EXPECT_EQ(snapshot->max_task_id, 0u);
}
