// The checkpoint reader on what Lightning writes and on archives built to
// hurt: every hostile claim is refused with a clear error before anything of
// its size is allocated.
#include <gtest/gtest.h>

#include <fstream>

#include "model_testing.h"
#include "state_dict.h"
#include "state_dict_unpickler.h"
#include "stored_zip.h"

using namespace screener;
using namespace screener::torch_support;
using stored_zip::Pickle;

namespace {

std::filesystem::path write(const std::string& name, const std::string& bytes) {
  static const auto dir = model_testing::fresh_dir("hostile");
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A torch.save-like archive of `pickle` with storage "0" of `record_bytes`.
std::string archive_of(const std::string& pickle, std::size_t record_bytes = 64) {
  return stored_zip::archive({{"data.pkl", pickle, {}}, {"data/0", std::string(record_bytes, '\0'), {}}});
}

// The error loading `bytes` as a checkpoint file named `name`, which it must name.
std::string refusal(const std::string& name, const std::string& bytes) {
  const auto path = write(name, bytes);
  try {
    load_checkpoint(path);
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string()), std::string::npos) << "the error does not name the file: " << what;
    return what;
  }
  ADD_FAILURE() << name << " was accepted";
  return "";
}

std::string dict_with(const std::string& key, const Pickle& value_ops) {
  return Pickle().op('}').op('(').str(key).raw(value_ops.bytes().substr(2)).op('u').done();
}

}  // namespace

TEST(CheckpointReader, ReadsALightningCheckpoint) {
  const auto dir = model_testing::fresh_dir("seeds");
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "make_checkpoint_seeds.py", {dir.string()});
  for (const char* name : {"lightning.ckpt", "lightning_protocol4.ckpt"}) {
    const Checkpoint c = load_checkpoint(dir / name);
    ASSERT_EQ(c.weights.size(), 4u) << name;
    EXPECT_EQ(c.weights.at("glow_blocks.0.inv_linear.weight").sizes(), (std::vector<int64_t>{2, 2, 1, 1, 1}));
    EXPECT_EQ(c.weights.at("glow_blocks.0.actnorm.initialized").item<float>(), 1.0f);
    const Json& hp = c.hyper_parameters;
    EXPECT_EQ(hp.at("mode"), "3d") << hp.dump();
    EXPECT_EQ(hp.at("descriptor_dim"), 4);
    EXPECT_EQ(hp.at("avg_pool"), true);
    EXPECT_EQ(hp.at("avg_pool_kernel_size"), Json({3, 3, 2}));  // a tuple
    EXPECT_EQ(hp.at("avg_pool_stride"), Json({3, 3, 2}));       // a list
    EXPECT_DOUBLE_EQ(hp.at("sigma").get<double>(), 0.1);
    EXPECT_TRUE(hp.at("descriptor_model_path").is_null());
    EXPECT_EQ(hp.at("tags").size(), 2u);  // a set
  }
  EXPECT_TRUE(load_checkpoint(dir / "state_dict.pt").hyper_parameters.is_null());
}

TEST(CheckpointReader, HostileTensorSizesAreRefusedBeforeAllocating) {
  const auto huge = refusal("huge.pt", archive_of(dict_with("w", Pickle().tensor("0", int64_t(1) << 40, {int64_t(1) << 40}, {1}))));
  EXPECT_NE(huge.find("storage '0' claims 1099511627776 elements of Float but its record holds 64 bytes"), std::string::npos)
      << huge;
  const auto longer = refusal("longer.pt", archive_of(dict_with("w", Pickle().tensor("0", 100, {100}, {1}))));
  EXPECT_NE(longer.find("claims 100 elements of Float but its record holds 64 bytes"), std::string::npos) << longer;
  const auto outside = refusal("outside.pt", archive_of(dict_with("w", Pickle().tensor("0", 16, {4, 4}, {8, 1}))));
  EXPECT_NE(outside.find("reaches element 27 of storage '0', which has 16"), std::string::npos) << outside;
  const auto expanded = refusal("expanded.pt", archive_of(dict_with("w", Pickle().tensor("0", 1, {int64_t(1) << 40}, {0}))));
  EXPECT_NE(expanded.find("a tensor of 1099511627776 elements"), std::string::npos) << expanded;
  const auto overflow =
      refusal("overflow.pt", archive_of(dict_with("w", Pickle().tensor("0", 16, {int64_t(1) << 62, 8}, {1, 1} ))));
  EXPECT_NE(overflow.find("overflow"), std::string::npos) << overflow;
  const auto absent = refusal("absent.pt", archive_of(dict_with("w", Pickle().tensor("7", 4, {4}, {1}))));
  EXPECT_NE(absent.find("storage '7' has no record data/7"), std::string::npos) << absent;
}

TEST(CheckpointReader, HostilePicklesAreRefused) {
  const auto memo = refusal("memo.pt", archive_of(Pickle().op('}').op('r').raw("\xff\xff\xff\xff").done()));
  EXPECT_NE(memo.find("memo index 4294967295 beyond the limit of 4194304"), std::string::npos) << memo;
  const auto unknown = refusal("unknown.pt", archive_of(Pickle().op('j').raw(std::string("\x00\x00\x01\x00", 4)).done()));
  EXPECT_NE(unknown.find("memo entry 65536 was never stored"), std::string::npos) << unknown;
  const auto truncated = refusal("truncated.pt", archive_of(Pickle().op('}').op('(').str("w").done().substr(0, 9)));
  EXPECT_NE(truncated.find("ends"), std::string::npos) << truncated;
  const auto underflow = refusal("underflow.pt", archive_of(Pickle().op('s').done()));
  EXPECT_NE(underflow.find("stack underflow"), std::string::npos) << underflow;
  const auto opcode = refusal("opcode.pt", archive_of(Pickle().op('i').done()));
  EXPECT_NE(opcode.find("unsupported pickle opcode 0x69"), std::string::npos) << opcode;
  const auto dup = refusal("dup.pt", archive_of(Pickle().op('N').raw(std::string(5 << 20, '2')).done()));
  EXPECT_NE(dup.find("the pickle's stack grows past 4194304 entries"), std::string::npos) << dup;
  const auto marks = refusal("marks.pt", archive_of(Pickle().raw(std::string(5 << 20, '(')).done()));
  EXPECT_NE(marks.find("more than 4194304 open MARKs"), std::string::npos) << marks;
  // Deep nesting and a list holding itself: built without recursion, refused where read.
  Pickle deep;
  for (int i = 0; i < 100000; ++i) deep.op(']');
  for (int i = 0; i < 99999; ++i) deep.op('a');
  const auto nested = refusal("nested.pt", archive_of(dict_with("hyper_parameters", deep)));
  EXPECT_NE(nested.find("hyper_parameters nested deeper than 32 levels"), std::string::npos) << nested;
  Pickle cycle;
  cycle.op(']').op('q').raw(std::string(1, '\0')).op('h').raw(std::string(1, '\0')).op('a');
  const auto cyclic = refusal("cycle.pt", archive_of(dict_with("hyper_parameters", cycle)));
  EXPECT_NE(cyclic.find("nested deeper"), std::string::npos) << cyclic;
  // The same cycle where nothing reads it (an optimizer's state): harmless.
  const std::string fine = Pickle().op('}').op('(').str("w").tensor("0", 4, {4}, {1}).str("optimizer_states")
                               .raw(cycle.bytes().substr(2)).op('u').done();
  EXPECT_EQ(load_checkpoint(write("cycle_elsewhere.pt", archive_of(fine))).weights.size(), 1u);
  const auto module = refusal("module.pt", archive_of(Pickle().global("torch.nn", "ReLU").op(')').op('\x81').done()));
  EXPECT_NE(module.find("the saved object is an object of type torch.nn.ReLU, not a dict"), std::string::npos) << module;
}

TEST(CheckpointReader, HostileArchivesAreRefused) {
  const std::string good = archive_of(dict_with("w", Pickle().tensor("0", 16, {4, 4}, {4, 1})));
  EXPECT_EQ(load_checkpoint(write("good.pt", good)).weights.at("w").sizes(), (std::vector<int64_t>{4, 4}));
  // Cut anywhere: a clear error, never a crash or a read past the end.
  for (std::size_t cut = 0; cut < good.size(); cut += 7) refusal("cut" + std::to_string(cut) + ".pt", good.substr(0, cut));
  const auto absurd = refusal("absurd.pt", stored_zip::archive({{"data.pkl", dict_with("w", Pickle()), uint64_t(1) << 40},
                                                                {"data/0", std::string(64, '\0'), {}}}));
  EXPECT_NE(absurd.find("entry 'archive/data.pkl' claims 1099511627776 bytes at offset 0, past the end"),
            std::string::npos)
      << absurd;
  const auto dup = refusal("dup.pt", stored_zip::archive({{"data.pkl", "x", {}}, {"data.pkl", "y", {}}}));
  EXPECT_NE(dup.find("appears twice"), std::string::npos) << dup;
  const auto none = refusal("none.pt", stored_zip::archive({{"version", "3", {}}}));
  EXPECT_NE(none.find("no data.pkl"), std::string::npos) << none;
  const auto text = refusal("text.pt", "not a zip file at all, but long enough to look for one");
  EXPECT_NE(text.find("no end-of-central-directory record"), std::string::npos) << text;
  std::string deflated = good;  // the central directory says data.pkl is deflated (method 8)
  deflated[deflated.find("PK\x01\x02") + 10] = 8;
  const auto compressed = refusal("deflated.pt", deflated);
  EXPECT_NE(compressed.find("record 'data.pkl' is compressed"), std::string::npos) << compressed;
  const auto big = refusal("big_pickle.pt", stored_zip::archive({{"data.pkl", std::string((64 << 20) + 1, '.'), {}}}));
  EXPECT_NE(big.find("record 'data.pkl' is 67108865 bytes (limit 67108864 bytes)"), std::string::npos) << big;
}

TEST(CheckpointReader, ManyViewsOfOneStorageCannotMultiplyIt) {
  // 20 000 keys, each the whole 4096-element storage: 82 M elements from a file of 3 MB.
  Pickle p;
  p.op('}').op('(');
  for (int i = 0; i < 20000; ++i) p.str("w" + std::to_string(i)).tensor("0", 4096, {4096}, {1});
  const auto what = refusal("views.pt", archive_of(p.op('u').done(), 4096 * 4));
  EXPECT_NE(what.find("the state_dict's tensors hold more than"), std::string::npos) << what;
}
