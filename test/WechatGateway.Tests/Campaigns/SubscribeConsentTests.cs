using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Campaigns;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Campaigns;

public sealed class SubscribeConsentTests : CampaignTest
{
    private const string MiniAppId = TestAccounts.MiniProgramAppId;
    private const string SubscribeTemplate = "TPL_SUB_ORDER";

    private static async Task<JsonElement> SubscribeAsync(HttpClient user, object result, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/mp/me/subscriptions") { Content = JsonContent.Create(result) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        var response = await user.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static int Available(JsonElement answer) =>
        answer.GetProperty("available").TryGetProperty(SubscribeTemplate, out var n) ? n.GetInt32() : 0;

    [Test]
    public async Task AResultRetriedWithoutAnIdempotencyKeyGrantsOnce()
    {
        var (carol, _) = await MiniProgramClient.LoginAsync("o_mp_carol");
        var accept = new Dictionary<string, string> { ["errMsg"] = "requestSubscribeMessage:ok", [SubscribeTemplate] = "accept", ["TPL_OTHER"] = "reject" };
        // The same choices in another order: wx.request retried by a page that rebuilt the object.
        var reordered = new Dictionary<string, string> { ["TPL_OTHER"] = "reject", [SubscribeTemplate] = "accept", ["errMsg"] = "requestSubscribeMessage:ok" };

        var first = await SubscribeAsync(carol, accept);
        var retried = await SubscribeAsync(carol, reordered);
        var keyed = await SubscribeAsync(carol, accept, "popup-2");

        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("granted").GetInt32(), Is.EqualTo(1));
            Assert.That(retried.GetProperty("granted").GetInt32(), Is.Zero, "a retry without Idempotency-Key grants nothing more");
            Assert.That(Available(retried), Is.EqualTo(1));
            Assert.That(Available(keyed), Is.EqualTo(2), "a request with its own Idempotency-Key is a new popup");
        });
    }

    [Test]
    public async Task MiniProgramConsentsAreRecordedOncePerRequestAndASubscribeCampaignSpendsOnePerSend()
    {
        var (alice, _) = await MiniProgramClient.LoginAsync("o_mp_alice");
        var (bob, _) = await MiniProgramClient.LoginAsync("o_mp_bob");
        var accept = new Dictionary<string, string> { ["errMsg"] = "requestSubscribeMessage:ok", [SubscribeTemplate] = "accept" };
        await SubscribeAsync(alice, accept, "req-1");
        var retried = await SubscribeAsync(alice, accept, "req-1");
        var second = await SubscribeAsync(alice, accept, "req-2");
        var rejected = await SubscribeAsync(bob, new Dictionary<string, string> { ["errMsg"] = "requestSubscribeMessage:ok", [SubscribeTemplate] = "reject" });

        // WeChat's side of the same choices.
        await AddTemplateAsync(MiniAppId, SubscribeTemplate, "subscribe");
        (await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/subscriptions", new { appid = MiniAppId, openid = "o_mp_alice", templateId = SubscribeTemplate, count = 2 })).EnsureSuccessStatusCode();

        var id = await CreateAsync(new
        {
            name = "order ready",
            segmentId = await SegmentAsync(new SegmentFilter(AppId: MiniAppId)),
            channel = "subscribe",
            template = new { templateId = SubscribeTemplate, data = new Dictionary<string, string> { ["thing1"] = "Your order is ready, {{ member.nickname | default: 'friend' }}" }, page = "pages/orders/index" },
        });
        var view = await DriveUntilAsync(id, CampaignStatus.Completed, TimeSpan.FromSeconds(30));
        var sent = await MessagesAsync("message/subscribe/send");
        var left = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM subscribe_consent WHERE open_id = 'o_mp_alice' AND spent_by IS NULL AND withdrawn_at IS NULL");

        Assert.Multiple(() =>
        {
            Assert.That(Available(retried), Is.EqualTo(1), "a retried request grants once");
            Assert.That(retried.GetProperty("granted").GetInt32(), Is.Zero);
            Assert.That(Available(second), Is.EqualTo(2));
            Assert.That(Available(rejected), Is.Zero);
            Assert.That(sent.Select(m => m.GetProperty("touser").GetString()), Is.EqualTo(new[] { "o_mp_alice" }));
            Assert.That(sent[0].GetProperty("body").GetProperty("page").GetString(), Is.EqualTo("pages/orders/index"));
            Assert.That(view.GetProperty("sent").GetInt32(), Is.EqualTo(1));
            Assert.That(Reasons(view), Is.EqualTo(new Dictionary<string, int> { [SkipReasons.NoConsent] = 1 }));
            Assert.That(left, Is.EqualTo(1), "one consent spent by the one send");
        });
    }

    [Test]
    public async Task APopupPushRecordsAConsentOnceAndAChangeToRejectWithdrawsIt()
    {
        var driver = new FollowerDriver(TestAccounts.Queue);
        const string openId = "o_popup_1";
        string Push(string evt, string element, string status, long createTime) =>
            $"<xml><ToUserName><![CDATA[{driver.OriginalId}]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName>" +
            $"<CreateTime>{createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{evt}]]></Event>" +
            $"<{element}><List><TemplateId><![CDATA[{SubscribeTemplate}]]></TemplateId><SubscribeStatusString><![CDATA[{status}]]></SubscribeStatusString>" +
            $"<PopupScene>2</PopupScene></List></{element}></xml>";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var popup = Push("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", "accept", now);

        // WeChat retries a push it got no answer for: the same push twice grants once.
        (await driver.SendAsync(Client, driver.Sign(popup, openId, SecurityMode.Safe))).EnsureSuccessStatusCode();
        (await driver.SendAsync(Client, driver.Sign(popup, openId, SecurityMode.Safe))).EnsureSuccessStatusCode();
        await ProcessPushesAsync();
        var granted = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM subscribe_consent WHERE open_id = @openId AND withdrawn_at IS NULL", new { openId });

        (await driver.SendAsync(Client, driver.Sign(Push("subscribe_msg_change_event", "SubscribeMsgChangeEvent", "reject", now + 5), openId, SecurityMode.Safe))).EnsureSuccessStatusCode();
        await ProcessPushesAsync();
        var afterReject = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM subscribe_consent WHERE open_id = @openId AND withdrawn_at IS NULL", new { openId });

        Assert.Multiple(() =>
        {
            Assert.That(granted, Is.EqualTo(1));
            Assert.That(afterReject, Is.Zero);
        });
    }
}
