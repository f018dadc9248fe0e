using System.Diagnostics;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Tests.Wechat;

/// <summary>
/// The WeChat API client and access-token management over the real test Redis and the simulator, without the
/// gateway: each test builds its own instances and registers its own account, so token counts are its own.
/// </summary>
public sealed class WechatApiClientTests
{
    private const string OpenId = "o_api_user";
    private const string TokenKeyFormat = "wg:wechat:token:{0}";
    private const string LockKeyFormat = "wg:wechat:token-lock:{0}";

    private TestWechatAccount _account = null!;

    [SetUp]
    public async Task ResetAsync()
    {
        await TestEnvironment.ResetAsync();
        _account = await TestWechatAccount.RegisterAsync();
        await Simulator.RegisterUserAsync(_account.AppId, OpenId, unionId: null);
    }

    [Test]
    public async Task FiftyConcurrentCallersWithAnExpiredTokenCauseOneRefresh()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        var expired = await instance.Tokens.GetAsync(_account.AppId);
        await Simulator.ExpireTokensAsync(_account.AppId);
        var issuedBefore = await SimulatorControl.TokensIssuedAsync(_account.AppId);

        var msgIds = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => instance.Client.SendTemplateMessageAsync(_account.AppId, Template(i))));

        Assert.That(msgIds.Distinct().Count(), Is.EqualTo(50), "every caller got its own msgid");
        Assert.That(await SimulatorControl.MessagesToAsync(OpenId), Is.EqualTo(50), "every message was delivered once");
        Assert.That(await SimulatorControl.TokensIssuedAsync(_account.AppId), Is.EqualTo(issuedBefore + 1), "exactly one new token");
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.EqualTo(2), "the priming fetch and one refresh");
        Assert.That(await instance.Tokens.GetAsync(_account.AppId), Is.Not.EqualTo(expired));
        Assert.That(await instance.Redis.KeyExistsAsync(string.Format(LockKeyFormat, _account.AppId)), Is.False, "the lock was released");
    }

    [Test]
    public async Task FiftyConcurrentCallersOnTwoInstancesWithAnExpiredTokenCauseOneRefresh()
    {
        await using var first = await WechatApiInstance.StartAsync(_account);
        await using var second = await WechatApiInstance.StartAsync(_account);
        var expired = await first.Tokens.GetAsync(_account.AppId);
        Assert.That(await second.Tokens.GetAsync(_account.AppId), Is.EqualTo(expired));
        await Simulator.ExpireTokensAsync(_account.AppId);
        var issuedBefore = await SimulatorControl.TokensIssuedAsync(_account.AppId);

        var msgIds = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            (i % 2 == 0 ? first : second).Client.SendTemplateMessageAsync(_account.AppId, Template(i))));

        Assert.That(msgIds.Distinct().Count(), Is.EqualTo(50));
        Assert.That(await SimulatorControl.MessagesToAsync(OpenId), Is.EqualTo(50));
        Assert.That(await SimulatorControl.TokensIssuedAsync(_account.AppId), Is.EqualTo(issuedBefore + 1), "one refresh across both instances");
        Assert.That(
            first.Requests.Count("/cgi-bin/stable_token") - 1 + second.Requests.Count("/cgi-bin/stable_token"),
            Is.EqualTo(1),
            "after priming, one instance asked WeChat once and the other not at all");
        Assert.That(await first.Tokens.GetAsync(_account.AppId), Is.EqualTo(await second.Tokens.GetAsync(_account.AppId)));
    }

    [Test]
    public async Task TokenIsCachedAcrossInstances()
    {
        await using var first = await WechatApiInstance.StartAsync(_account);
        await using var second = await WechatApiInstance.StartAsync(_account);

        var token = await first.Tokens.GetAsync(_account.AppId);
        var seen = await second.Tokens.GetAsync(_account.AppId);

        Assert.That(seen, Is.EqualTo(token));
        Assert.That(second.Requests.Count("/cgi-bin/stable_token"), Is.Zero, "the second instance never called WeChat");
        Assert.That(await SimulatorControl.TokensIssuedAsync(_account.AppId), Is.EqualTo(1));
        var ttl = await first.Redis.KeyTimeToLiveAsync(string.Format(TokenKeyFormat, _account.AppId));
        Assert.That(ttl, Is.InRange(TimeSpan.FromSeconds(6800), TimeSpan.FromSeconds(6900)), "WeChat's 7200 s minus a 5-minute margin");
    }

    [Test]
    public async Task OneTokenErrorIsHealedByOneRefreshAndOneRetry()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await instance.Tokens.GetAsync(_account.AppId);
        await SimulatorControl.AddFaultAsync("message/template/send", errcode: 40001, count: 1);

        var msgId = await instance.Client.SendTemplateMessageAsync(_account.AppId, Template(1));

        Assert.That(msgId, Is.Positive);
        Assert.That(instance.Requests.Count("/cgi-bin/message/template/send"), Is.EqualTo(2));
        Assert.That(await SimulatorControl.MessagesToAsync(OpenId), Is.EqualTo(1));
    }

    [Test]
    public async Task PersistentTokenErrorIsThrownAfterOneRetry()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await instance.Tokens.GetAsync(_account.AppId);
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 40001, count: 5);

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hello")));

        Assert.That(error!.Code, Is.EqualTo(WechatErrorCode.InvalidCredential));
        Assert.That(error.IsTokenError, Is.True);
        Assert.That(error.Api, Is.EqualTo("cgi-bin/message/custom/send"));
        Assert.That(instance.Requests.Count("/cgi-bin/message/custom/send"), Is.EqualTo(2), "the call and one retry");
        Assert.That(instance.Requests.ForcedRefreshes, Is.EqualTo(1), "one refresh");
        Assert.That(await SimulatorControl.PendingFaultCallsAsync(), Is.EqualTo(3), "WeChat saw exactly two sends");
    }

    [Test]
    public async Task CallersThatMeetATokenAlreadyForceRefreshedDoNotForceAgain()
    {
        await using var first = await WechatApiInstance.StartAsync(_account);
        await using var second = await WechatApiInstance.StartAsync(_account);
        var token = await first.Tokens.GetAsync(_account.AppId);
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 40001, count: 10);

        // WeChat hands back the same token when forced again within 30 s; a second instance that meets the same
        // refused token must not spend another of the 20 daily forced refreshes.
        Assert.ThrowsAsync<WechatApiException>(() => first.Client.SendCustomMessageAsync(_account.AppId, Text("a")));
        Assert.ThrowsAsync<WechatApiException>(() => second.Client.SendCustomMessageAsync(_account.AppId, Text("b")));

        Assert.That(first.Requests.ForcedRefreshes + second.Requests.ForcedRefreshes, Is.EqualTo(1));
        Assert.That(second.Requests.Count("/cgi-bin/stable_token"), Is.Zero);
        Assert.That(await second.Tokens.GetAsync(_account.AppId), Is.EqualTo(token));
    }

    [Test]
    public async Task CustomerServiceQuotaErrorIsTypedAndNotRetried()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 45047, count: 1);

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hello")));

        Assert.That(error!.Code, Is.EqualTo(WechatErrorCode.CustomerServiceQuotaReached));
        Assert.That(error.ErrorCode, Is.EqualTo(45047));
        Assert.That(error.ErrorMessage, Is.EqualTo("out of response count limit"));
        Assert.That(error.Message, Does.Contain("45047").And.Contain("CustomerServiceQuotaReached"));
        Assert.That(error.IsTokenError || error.IsRetryable, Is.False);
        Assert.That(instance.Requests.Count("/cgi-bin/message/custom/send"), Is.EqualTo(1));
    }

    [Test]
    public async Task SystemBusyIsRetryableButASendIsNotRepeatedByTheClient()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: -1, count: 1);

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hello")));

        Assert.That(error!.Code, Is.EqualTo(WechatErrorCode.SystemBusy));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(instance.Requests.Count("/cgi-bin/message/custom/send"), Is.EqualTo(1), "the caller's queue decides when to send again");
    }

    [Test]
    public async Task UnknownErrcodeIsStillAnExceptionWithItsNumber()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        await SimulatorControl.AddFaultAsync("message/subscribe/send", errcode: 47003, errmsg: "argument invalid! data.thing1.value invalid", count: 1);

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendSubscribeMessageAsync(_account.AppId, new { touser = OpenId, template_id = "t" }));

        Assert.That(error!.Code, Is.Null);
        Assert.That(error.ErrorCode, Is.EqualTo(47003));
        Assert.That(error.Message, Does.Contain("argument invalid"));
    }

    [Test]
    public async Task StalledSendHitsTheTimeoutWithAClearExceptionAndIsNotSentTwice()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(1);
            o.RequestTimeout = TimeSpan.FromSeconds(3);
        });
        await instance.Tokens.GetAsync(_account.AppId);
        await SimulatorControl.AddFaultAsync("message/custom/send", delayMs: 8000, count: 1);
        var watch = Stopwatch.StartNew();

        var error = Assert.ThrowsAsync<TimeoutException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hello")));

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "bounded by the timeouts, not by WeChat");
        Assert.That(error!.Message, Does.Contain("cgi-bin/message/custom/send").And.Contain("did not answer within"));
        Assert.That(instance.Requests.Count("/cgi-bin/message/custom/send"), Is.EqualTo(1), "a send that may have been delivered is not sent again");
    }

    [Test]
    public async Task StalledTokenFetchIsRetriedWithinTheTimeout()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(1);
            o.RequestTimeout = TimeSpan.FromSeconds(5);
        });
        await SimulatorControl.AddFaultAsync("stable_token", delayMs: 8000, count: 1);

        var token = await instance.Tokens.GetAsync(_account.AppId);

        Assert.That(token, Is.Not.Empty);
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.EqualTo(2), "normal-mode stable_token is safe to ask again");
    }

    [Test]
    public async Task TokenNeverAppearsInExceptionsOrLogs()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account, o => o.AttemptTimeout = TimeSpan.FromSeconds(1));
        var token = await instance.Tokens.GetAsync(_account.AppId);
        // A WeChat errmsg that echoes the token, then a token error, then a stall.
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 40003, errmsg: $"invalid openid for access_token {token}", count: 1);
        await SimulatorControl.AddFaultAsync("message/template/send", errcode: 40001, count: 2);
        await SimulatorControl.AddFaultAsync("message/subscribe/send", delayMs: 5000, count: 1);

        // jscode2session carries the AppSecret in its query string.
        await instance.Client.Code2SessionAsync(_account.AppId, "sim:o_logs#1");
        var echoed = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hi")));
        var refused = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendTemplateMessageAsync(_account.AppId, Template(1)));
        var stalled = Assert.ThrowsAsync<TimeoutException>(() => instance.Client.SendSubscribeMessageAsync(_account.AppId, new { touser = OpenId, template_id = "t" }));

        Assert.That(echoed!.ErrorMessage, Does.Contain("***"));
        foreach (var error in new Exception[] { echoed, refused!, stalled! })
        {
            Assert.That(error.ToString(), Does.Not.Contain(token));
        }

        Assert.That(instance.Logs.Lines, Is.Not.Empty);
        Assert.That(instance.Logs.Lines.Where(line => line.Contains(token, StringComparison.Ordinal)), Is.Empty);
        Assert.That(instance.Logs.Lines.Where(line => line.Contains(_account.Secret, StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task UnknownAppIdIsAConfigurationErrorNamingIt()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => instance.Client.SendCustomMessageAsync("wx_not_configured", Text("hi")));

        Assert.That(error!.Message, Does.Contain("wx_not_configured"));
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.Zero);
    }

    [Test]
    public async Task WrongSecretFailsOnceWithoutLooping()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account, o => o.AppSecrets[_account.AppId] = "not-the-secret");

        var error = Assert.ThrowsAsync<WechatApiException>(() => instance.Client.SendCustomMessageAsync(_account.AppId, Text("hi")));

        Assert.That(error!.Code, Is.EqualTo(WechatErrorCode.InvalidAppSecret));
        Assert.That(error.Message, Does.Not.Contain("not-the-secret"));
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.EqualTo(1));
        Assert.That(instance.Requests.Count("/cgi-bin/message/custom/send"), Is.Zero);
    }

    [Test]
    public async Task WaiterGivesUpClearlyWhileAnotherInstanceHoldsTheLockAndNeverCallsWechat()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account, o => o.TokenWaitTimeout = TimeSpan.FromSeconds(1));
        var lockKey = string.Format(LockKeyFormat, _account.AppId);
        await instance.Redis.StringSetAsync(lockKey, "another-instance", TimeSpan.FromSeconds(30));

        var error = Assert.ThrowsAsync<TimeoutException>(() => instance.Tokens.GetAsync(_account.AppId));

        Assert.That(error!.Message, Does.Contain(_account.AppId).And.Contain(lockKey));
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.Zero);
        Assert.That((string?)await instance.Redis.StringGetAsync(lockKey), Is.EqualTo("another-instance"), "a lock we do not own is left alone");
    }

    [Test]
    public async Task WaiterTakesTheTokenAnotherInstanceStores()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);
        var lockKey = string.Format(LockKeyFormat, _account.AppId);
        await instance.Redis.StringSetAsync(lockKey, "another-instance", TimeSpan.FromSeconds(30));

        var waiting = instance.Tokens.GetAsync(_account.AppId);
        await Task.Delay(300);
        await instance.Redis.StringSetAsync(string.Format(TokenKeyFormat, _account.AppId), "token-from-elsewhere", TimeSpan.FromMinutes(10));

        Assert.That(await waiting, Is.EqualTo("token-from-elsewhere"));
        Assert.That(instance.Requests.Count("/cgi-bin/stable_token"), Is.Zero);
    }

    [Test]
    public async Task TemplateMessageIsSentAsUtf8JsonAndReturnsWechatsMsgId()
    {
        await using var instance = await WechatApiInstance.StartAsync(_account);

        var msgId = await instance.Client.SendTemplateMessageAsync(_account.AppId, new
        {
            touser = OpenId,
            template_id = "points-awarded",
            url = (string?)null,
            data = new { first = new { value = "积分到账" } },
        });

        var delivered = await SimulatorControl.LastMessageToAsync(OpenId);
        Assert.That(msgId, Is.Positive);
        Assert.That(delivered.GetProperty("body").GetProperty("data").GetProperty("first").GetProperty("value").GetString(), Is.EqualTo("积分到账"));
        Assert.That(delivered.GetProperty("body").TryGetProperty("url", out _), Is.False, "null fields are left out");
    }

    private static object Text(string content) => new { touser = OpenId, msgtype = "text", text = new { content } };

    private static object Template(int n) => new { touser = OpenId, template_id = "points-awarded", data = new { n = new { value = n.ToString(System.Globalization.CultureInfo.InvariantCulture) } } };
}
