using System.Security.Cryptography;

namespace WechatGateway.Tests.Storage;

/// <summary>
/// A migration that has shipped is never edited: a database that ran it keeps the old version, Evolve refuses to start
/// on a changed checksum, and a fix belongs in a new, higher-numbered script. So every script is pinned here by its
/// SHA-256; a new one is added to the list in the same commit that adds it.
/// </summary>
public sealed class MigrationTests
{
    private static readonly Dictionary<string, string> Shipped = new(StringComparer.Ordinal)
    {
        ["V1__foundation.sql"] = "4ebe7bc8c0a0e53295946437ebfd0253b6e328447634fd3e68b7940209d2eb8f",
        ["V2__members.sql"] = "43e0475f2247fd61a0be6cc2b139b4df0af6b4ce1601e6514ed5b19d60d07348",
        ["V3__push_processing.sql"] = "111a73345941c0735fe57633120cab557b5c9e949368338b7c9bfea9040eb7b7",
        ["V4__stores.sql"] = "e3c0633c88adfdec232e7762eff3be7c02c1e4c26fda0132691c5d5204878373",
        ["V5__points.sql"] = "722c5370f4c85ffb96df020913f1e415a5bf8be2bff2f62c988524e005ab61de",
        ["V7__replies.sql"] = "76eeddc7663a80863f96134df2c1bca60e02d7a238010dfe166193c6dfe8349c",
        ["V8__send_queue.sql"] = "07684f301d0b87f43d32622ac768f84f2a25fbbfa004e286e5cb9975a0a24ddb",
        ["V9__groups.sql"] = "79cc513fe30ebc9a901df24263b70049382ce3be24cc189fa2dee70611b0f3a4",
        ["V11__steer_rules_store_staff.sql"] = "9e9af309f6a25c8496b38f89787431a20a718d967c98a881a8a29f16f6fa96f7",
        ["V12__retention_indexes.sql"] = "424c9ae7ccbc5e1d3a8c23892b030100b7a3fdbe0fc1e281b6c9c01f20625d1c",
        ["V14__order_importer.sql"] = "ea9478ae28ec3198abea3518cc10be47e994b6ec270432b4ad248737a4ab2ca9",
        ["V16__reply_deferred.sql"] = "ff4e72a3a19682798c58632b8442cb313b21b5f1b1b67463d8360b7a085a1324",
        ["V15__dashboard_indexes.sql"] = "b2345ad46a88a8b10316e5237fa88cb16d3ccd52665e8b698b0e0040b882748e",
        ["V30__channel_funnel.sql"] = "1e8f4f76556eecf939b675cffeaf0e567018adb62f5dd32d7499f99b3ae7d266",
        ["V31__account_menu.sql"] = "9f33c82d9f4ff0debfc22d985a719a3b2f5edaa4a7ab25465e5505ec6aa4463a",
        ["V36__member_follow_state_index.sql"] = "e3e2d5e210715c609bcfbb4defcf31dedd55d1cddb0b25a4c05fe919ab4af021",
        ["V35__first_follow.sql"] = "f6aefd55419de821d92c30455e9a75ecf4d4dd633c6f686e93bd63ec5a02ce1a",
        ["V34__event_promotion_notice.sql"] = "7872bc41089c34826b3149a3e292d56419f1fc64c6061c5a07158d6fdf44a44b",
        ["V32__journeys.sql"] = "25c8f32f9b60e2acda507f349178fe780830222c3453688c159f8558a12c3e10",
        ["V27__feedback.sql"] = "7260224642830faf684e79f84d49981e15b6d24503ea472921e7de57d765c2b1",
        ["V28__events.sql"] = "cef0d4660fdd95b615af8b2463f33843a55706816eeb41e94c589c205c2d3ce3",
        ["V19__profile_rfm_segment_indexes.sql"] = "946ddd0ed5993468804d2a8812934e8e40b2d296bdda0e3bfe22a5f4ada9818a",
        ["V18__profile_tags.sql"] = "360ea63e7144216e498e55f703a3c74c40521d592c3c80056dc992fb746bab89",
        ["V20__campaigns.sql"] = "4cc4fa405b5f6cdbb103fdb2383e628a96e9d6c2c0379e027905a489f7396130",
        ["V21__subscribe_consents.sql"] = "8ecc1de6b5d78754b7e16e7146857649d01a48ae683e2cd61c3c8bd60e514b2f",
        ["V17__segments.sql"] = "eda19450f1882aca39862475b3f4ae717fced015d0f7819edef3fc51ac757aab",
        ["V24__follower_sync.sql"] = "de078e90180cc43df8c78144bf8fff08bf10bf2fe9d0b6fb7cb5e71887d3b8bb",
        ["V26__mass_send.sql"] = "8096bb4a557c90af80ebc996914c8ff65eb8129478ad9da5ed339fe00b96210f",
        ["V25__wechat_tags.sql"] = "fab978d7e05c42e13175d41ac9d85f3e3c68b371cac15843e7af262d01d1664d",
    };

    [Test]
    public void NoMigrationIsEditedAfterItIsWrittenAndEveryOneIsListed()
    {
        var assembly = typeof(WechatGateway.Storage.Migrator).Assembly;
        const string prefix = "WechatGateway.Storage.Migrations.";
        var embedded = assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var hashes = embedded.ToDictionary(n => n[prefix.Length..], n =>
        {
            using var stream = assembly.GetManifestResourceStream(n)!;
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });

        Assert.That(hashes.Keys, Is.EquivalentTo(Shipped.Keys), "each migration script is listed here (add a new one's hash with it; never remove one)");
        foreach (var (name, hash) in Shipped)
        {
            Assert.That(hashes[name], Is.EqualTo(hash), $"{name} changed: write a new migration instead of editing one that may have run");
        }
    }
}
