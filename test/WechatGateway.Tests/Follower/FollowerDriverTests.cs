using System.Text;
using System.Web;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Follower;

/// <summary>
/// The follower driver against the protocol library's own opening code: what the driver sends in each mode is what
/// a gateway account in that mode reads, typed as WeChat's docs say.
/// </summary>
public sealed class FollowerDriverTests
{
    private const string AppId = "wx_driver_test";
    private const string Token = "driver-token";
    private const string AesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    private const string OpenId = "o_driver_follower";

    private static readonly FollowerDriver _driver = new(new FollowerAccount(AppId, Token, AesKey));

    private static readonly Dictionary<string, Type> _expected = new()
    {
        ["text"] = typeof(TextMessage),
        ["image"] = typeof(ImageMessage),
        ["voice"] = typeof(VoiceMessage),
        ["video"] = typeof(VideoMessage),
        ["shortvideo"] = typeof(ShortVideoMessage),
        ["location"] = typeof(LocationMessage),
        ["link"] = typeof(LinkMessage),
        ["subscribe"] = typeof(SubscribeEvent),
        ["unsubscribe"] = typeof(UnsubscribeEvent),
        ["scan"] = typeof(ScanEvent),
        ["location-event"] = typeof(LocationEvent),
        ["click"] = typeof(ClickEvent),
        ["view"] = typeof(ViewEvent),
        ["templatesendjobfinish"] = typeof(TemplateSendJobFinishEvent),
        ["masssendjobfinish"] = typeof(MassSendJobFinishEvent),
    };

    private static IEnumerable<TestCaseData> KindsInEveryMode() =>
        from kind in FollowerDriver.PushKinds
        from mode in Enum.GetValues<SecurityMode>()
        select new TestCaseData(kind, mode).SetName($"{kind} in {mode} mode opens as its type");

    [Test]
    public void EveryPushTypeTheDriverKnowsHasAnExpectedType()
    {
        Assert.That(FollowerDriver.PushKinds, Is.EquivalentTo(_expected.Keys));
    }

    [TestCaseSource(nameof(KindsInEveryMode))]
    public void PushOpensAsItsType(string kind, SecurityMode mode)
    {
        var push = _driver.Sign(_driver.BuildPush(OpenId, kind), OpenId, mode);

        var inbound = Open(push, mode);

        Assert.Multiple(() =>
        {
            Assert.That(inbound.Push, Is.TypeOf(_expected[kind]));
            Assert.That(inbound.Push.FromUserName, Is.EqualTo(OpenId));
            Assert.That(inbound.Push.ToUserName, Is.EqualTo(FollowerDriver.OriginalIdFor(AppId)));
            Assert.That(inbound.Encrypted, Is.EqualTo(mode != SecurityMode.Plaintext));
        });
    }

    [Test]
    public void SafeModeBodyCarriesNothingButToUserNameAndEncrypt()
    {
        var push = _driver.Sign(_driver.BuildText(OpenId, "secret words", 1), OpenId, SecurityMode.Safe);

        Assert.Multiple(() =>
        {
            Assert.That(WechatXml.Parse(push.Body).Fields.Keys, Is.EqualTo(new[] { "ToUserName", "Encrypt" }));
            Assert.That(push.Body, Does.Not.Contain("secret words"));
        });
    }

    [Test]
    public void CompatibleModeBodyCarriesThePlainFieldsAndEncrypt()
    {
        var push = _driver.Sign(_driver.BuildText(OpenId, "open words", 1), OpenId, SecurityMode.Compatible);

        var fields = WechatXml.Parse(push.Body).Fields;
        Assert.Multiple(() =>
        {
            Assert.That(fields["Content"], Is.EqualTo("open words"));
            Assert.That(fields, Does.ContainKey("Encrypt"));
        });
    }

    [Test]
    public void LocationEventCarriesItsCoordinates()
    {
        var push = (LocationEvent)Open(_driver.Sign(_driver.BuildPush(OpenId, "location-event"), OpenId, SecurityMode.Safe), SecurityMode.Safe).Push;

        Assert.Multiple(() =>
        {
            Assert.That(push.Latitude, Is.EqualTo(31.2286));
            Assert.That(push.Longitude, Is.EqualTo(121.448));
            Assert.That(push.Precision, Is.EqualTo(30.0));
        });
    }

    [Test]
    public void FieldsGivenReplaceTheDefaults()
    {
        var xml = _driver.BuildPush(OpenId, "templatesendjobfinish", new Dictionary<string, string> { ["MsgID"] = "CAEQ==", ["Status"] = "failed:user block" });

        var push = (TemplateSendJobFinishEvent)WechatPushParser.Parse(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.MsgId, Is.EqualTo("CAEQ=="));
            Assert.That(push.Status, Is.EqualTo("failed:user block"));
        });
    }

    [Test]
    public async Task HelpIsAnsweredWithUsage()
    {
        var (code, stdout, stderr) = await RunAsync("--help");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(stdout, Does.Contain("usage:").And.Contain("location-event"));
            Assert.That(stderr, Is.Empty);
        });
    }

    [TestCase("--aes-key", "not-a-key", "--aes-key: EncodingAESKey must be 43 characters")]
    [TestCase("--mode", "safe", "--aes-key is required in safe mode")]
    [TestCase("--type", "hologram", "--type hologram is not one of")]
    public async Task BadArgumentIsRefusedInOneLine(string option, string value, string message)
    {
        var (code, stdout, stderr) = await RunAsync("--gateway", "http://127.0.0.1:1", "--appid", AppId, "--token", Token, "--openid", OpenId, "--type", "text", option, value);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.StartWith("push: " + message));
            Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
            Assert.That(stdout, Is.Empty, "nothing was sent");
        });
    }

    [Test]
    public async Task MissingArgumentIsRefusedInOneLine()
    {
        var (code, _, stderr) = await RunAsync("--gateway", "http://127.0.0.1:1", "--token", Token, "--type", "click");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.TrimEnd(), Does.StartWith("push: missing --appid, --openid").And.Not.Contain("\n"));
        });
    }

    private static InboundPush Open(SignedPush push, SecurityMode mode)
    {
        var query = HttpUtility.ParseQueryString(new Uri(new Uri("http://gateway"), push.PathAndQuery).Query);
        var endpoint = new PushEndpoint(Token, mode switch
        {
            SecurityMode.Plaintext => PushSecurityMode.Plain,
            SecurityMode.Compatible => PushSecurityMode.Compatible,
            _ => PushSecurityMode.Safe,
        }, new WechatMessageCrypto(AesKey, AppId));
        Assert.That(WechatSignature.Verify(Token, query["timestamp"]!, query["nonce"]!, query["signature"]), Is.True, "the URL signature");
        return WechatInbound.Open(Encoding.UTF8.GetBytes(push.Body), endpoint, new PushQuery(query["timestamp"]!, query["nonce"]!, query["encrypt_type"], query["msg_signature"]));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PushCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
