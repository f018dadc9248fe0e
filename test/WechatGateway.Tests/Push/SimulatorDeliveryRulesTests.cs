using System.Net.Http.Json;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Tests.Push;

/// <summary>The simulator's customer-service rules, met the way the queue would without its own check: at WeChat.</summary>
public sealed class SimulatorDeliveryRulesTests : SendQueueTest
{
    private static WechatApiClient Api => Service<WechatApiClient>();

    private static async Task TellSimulatorAsync(string openId, string kind, DateTimeOffset? at = null)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/interactions", new { appid = AppId, openid = openId, kind, at });
        response.EnsureSuccessStatusCode();
    }

    [Test]
    public async Task SimulatorAllowsFiveCustomerServiceMessagesAfterAMessageThenAnswers45047()
    {
        await TellSimulatorAsync("o_sim_quota", "message");
        for (var i = 0; i < CustomerServiceWindow.MessageQuota; i++)
        {
            await Api.SendCustomMessageAsync(AppId, Text("o_sim_quota", $"m{i}"));
        }

        var refused = Assert.ThrowsAsync<WechatApiException>(() => Api.SendCustomMessageAsync(AppId, Text("o_sim_quota", "one too many")));
        Assert.That(refused!.Code, Is.EqualTo(WechatErrorCode.CustomerServiceQuotaReached));
    }

    [Test]
    public async Task SimulatorAnswers45015OutsideTheWindowAndForAnUnsubscribedFollowerAnd43004ForTheirTemplate()
    {
        await TellSimulatorAsync("o_sim_late", "message", DateTimeOffset.UtcNow.AddHours(-49));
        Assert.That(Assert.ThrowsAsync<WechatApiException>(() => Api.SendCustomMessageAsync(AppId, Text("o_sim_late", "late")))!.Code,
            Is.EqualTo(WechatErrorCode.ResponseOutOfTimeLimit));

        await Simulator.RegisterUserAsync(AppId, "o_sim_left", null, subscribed: false);
        Assert.That(Assert.ThrowsAsync<WechatApiException>(() => Api.SendCustomMessageAsync(AppId, Text("o_sim_left", "hi")))!.Code,
            Is.EqualTo(WechatErrorCode.ResponseOutOfTimeLimit));
        Assert.That(Assert.ThrowsAsync<WechatApiException>(() => Api.SendTemplateMessageAsync(AppId, Template("o_sim_left")))!.Code,
            Is.EqualTo(WechatErrorCode.RequireSubscribe));
    }

    [Test]
    public async Task SimulatorAllowsThreeCustomerServiceMessagesInTheMinuteAfterAFollow()
    {
        await TellSimulatorAsync("o_sim_follow", "follow");
        for (var i = 0; i < CustomerServiceWindow.EventQuota; i++)
        {
            await Api.SendCustomMessageAsync(AppId, Text("o_sim_follow", $"w{i}"));
        }

        Assert.That(Assert.ThrowsAsync<WechatApiException>(() => Api.SendCustomMessageAsync(AppId, Text("o_sim_follow", "w3")))!.Code,
            Is.EqualTo(WechatErrorCode.CustomerServiceQuotaReached));
        Assert.That(await MessagesToAsync("o_sim_follow"), Has.Count.EqualTo(3));
    }
}
