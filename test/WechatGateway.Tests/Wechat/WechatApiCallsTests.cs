using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Tests.Wechat;

/// <summary>Each typed call against the simulator: WeChat's request shape in, the typed result or error out.</summary>
public sealed class WechatApiCallsTests
{
    private TestWechatAccount _account = null!;

    [SetUp]
    public async Task ResetAsync()
    {
        await TestEnvironment.ResetAsync();
        _account = await TestWechatAccount.RegisterAsync();
    }

    [Test]
    public async Task Code2SessionReturnsTheUserAndRefusesAReusedOrUnknownCode()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var login = await instance.Client.Code2SessionAsync(_account.AppId, "sim:o_mp_1:u_union_1#1");
        var reused = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.Code2SessionAsync(_account.AppId, "sim:o_mp_1:u_union_1#1"));
        var unknown = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.Code2SessionAsync(_account.AppId, "not-a-code"));

        Assert.That(login.OpenId, Is.EqualTo("o_mp_1"));
        Assert.That(login.UnionId, Is.EqualTo("u_union_1"));
        Assert.That(login.SessionKey, Is.Not.Empty);
        Assert.That(reused!.Code, Is.EqualTo(WechatErrorCode.CodeBeenUsed));
        Assert.That(unknown!.Code, Is.EqualTo(WechatErrorCode.InvalidCode));
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.Zero, "jscode2session takes the AppSecret, not a token");
    }

    [Test]
    public async Task Code2SessionWithoutUnionIdGivesNull()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var login = await instance.Client.Code2SessionAsync(_account.AppId, "sim:o_mp_2#1");

        Assert.That(login.OpenId, Is.EqualTo("o_mp_2"));
        Assert.That(login.UnionId, Is.Null);
    }

    [Test]
    public async Task PhoneNumberComesFromTheCodeAndTheCodeWorksOnce()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var phone = await instance.Client.GetPhoneNumberAsync(_account.AppId, "sim-phone:13912345678#1");
        var abroad = await instance.Client.GetPhoneNumberAsync(_account.AppId, "sim-phone:+852-61234567#1");
        var reused = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.GetPhoneNumberAsync(_account.AppId, "sim-phone:13912345678#1"));

        Assert.That(phone, Is.EqualTo(new PhoneNumber("13912345678", "13912345678", "86")));
        Assert.That(abroad, Is.EqualTo(new PhoneNumber("+85261234567", "61234567", "852")));
        Assert.That(reused!.Code, Is.EqualTo(WechatErrorCode.CodeBeenUsed));
    }

    [Test]
    public async Task UserInfoReturnsAFollowerWithHisUnionIdAndAnUnfollowerWithLittleElse()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await Simulator.RegisterUserAsync(_account.AppId, "o_follower", "u_follower", nickname: "阿明");
        await Simulator.RegisterUserAsync(_account.AppId, "o_gone", "u_gone", subscribed: false);

        var follower = await instance.Client.GetUserInfoAsync(_account.AppId, "o_follower");
        var gone = await instance.Client.GetUserInfoAsync(_account.AppId, "o_gone");

        Assert.That(follower.Subscribed, Is.True);
        Assert.That(follower.OpenId, Is.EqualTo("o_follower"));
        Assert.That(follower.UnionId, Is.EqualTo("u_follower"));
        Assert.That(follower.Nickname, Is.EqualTo("阿明"));
        Assert.That(follower.Language, Is.EqualTo("zh_CN"));
        Assert.That(follower.SubscribeTime, Is.Positive);
        Assert.That(follower.SubscribeScene, Is.EqualTo("ADD_SCENE_OTHERS"));
        Assert.That(follower.QrScene, Is.Null, "qr_scene 0 means no QR code");
        Assert.That(follower.QrSceneStr, Is.Null);
        Assert.That(follower.TagIds, Is.Empty);
        Assert.That(gone.Subscribed, Is.False);
        Assert.That((gone.OpenId, gone.UnionId, gone.Nickname, gone.SubscribeTime), Is.EqualTo(("o_gone", "u_gone", (string?)null, (long?)null)));
    }

    [Test]
    public async Task QrCodeIsTemporaryWithAnExpiryAndPermanentWithout()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var temporary = await instance.Client.CreateQrCodeAsync(_account.AppId, "store:42", 3600);
        var permanent = await instance.Client.CreateQrCodeAsync(_account.AppId, "store:43", null);

        Assert.That(temporary.ExpireSeconds, Is.EqualTo(3600));
        Assert.That(permanent.ExpireSeconds, Is.Null);
        Assert.That(temporary.Ticket, Is.Not.Empty);
        Assert.That(permanent.Url, Does.StartWith("http"));
        var created = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/qrcodes?appid={_account.AppId}");
        var byScene = created.EnumerateArray().ToDictionary(c => c.GetProperty("scene_str").GetString()!, c => c.GetProperty("action_name").GetString());
        Assert.That(byScene, Is.EqualTo(new Dictionary<string, string?> { ["store:42"] = "QR_STR_SCENE", ["store:43"] = "QR_LIMIT_STR_SCENE" }));
    }

    [Test]
    public async Task MediaIsUploadedInTheMediaFieldAndSentWholeAgainAfterATokenError()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await instance.Tokens.GetAsync(_account.AppId);
        await SimulatorControl.AddFaultAsync("media/upload", errcode: 42001, count: 1);
        var bytes = Encoding.ASCII.GetBytes(new string('x', 5000));

        var media = await instance.Client.UploadMediaAsync(_account.AppId, "image", new MemoryStream(bytes), "poster 1.jpg");

        Assert.That(media.Type, Is.EqualTo("image"));
        Assert.That(media.MediaId, Is.Not.Empty);
        Assert.That(media.CreatedAt, Is.Positive);
        Assert.That(instance.Requests.Count("/cgi-bin/media/upload"), Is.EqualTo(2));
        var stored = (await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/media?appid={_account.AppId}")).EnumerateArray().Single();
        Assert.That(stored.GetProperty("filename").GetString(), Is.EqualTo("poster 1.jpg"));
        Assert.That(stored.GetProperty("length").GetInt64(), Is.EqualTo(5000));
    }

    [Test]
    public async Task MediaOfAnUnknownTypeIsRefusedByWechat()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.UploadMediaAsync(_account.AppId, "pdf", new MemoryStream([1, 2, 3]), "a.pdf"));

        Assert.That(error!.Code, Is.EqualTo(WechatErrorCode.InvalidMediaType));
    }
}
