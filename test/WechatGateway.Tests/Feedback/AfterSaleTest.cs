using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Members;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Feedback;

/// <summary>
/// What the survey and event tests share: members who follow the queue account and use the mini-program as one
/// member, jobs run at an injected time, and the send queue delivered to the simulator.
/// </summary>
public abstract class AfterSaleTest : GatewayTest
{
    protected const string AppId = TestAccounts.QueueAppId;

    private readonly FollowerDriver _follower = new(TestAccounts.Queue);

    protected static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    /// <summary>A job of the test gateway's services, built with its own clock (and, optionally, options).</summary>
    protected static T JobAt<T>(TimeSpan later, params object[] extra)
        where T : notnull => ActivatorUtilities.CreateInstance<T>(TestEnvironment.Gateway.Services, [new ShiftedTime(later), .. extra]);

    protected static async Task DeliverAsync()
    {
        while (await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None) + await Service<SendDispatcher>().RunUntilIdleAsync(CancellationToken.None) > 0)
        {
        }
    }

    protected static async Task<IReadOnlyList<JsonElement>> MessagesToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return [.. messages.EnumerateArray()];
    }

    protected static async Task<ulong> CreateAsync(HttpClient admin, string path, object body)
    {
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    protected static async Task<long> BalanceAsync(HttpClient member) =>
        (await member.GetFromJsonAsync<JsonElement>("/api/mp/me")).GetProperty("points").GetProperty("balance").GetInt64();

    /// <summary>Sends a signed push of the queue account and processes it.</summary>
    protected async Task PushAsync(string openId, Func<FollowerDriver, string> xml)
    {
        using var response = await _follower.SendAsync(Client, _follower.Sign(xml(_follower), openId, SecurityMode.Safe));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await ProcessPushesAsync();
    }

    /// <summary>
    /// A follower of the queue account (<paramref name="openId"/>) who also uses the mini-program, as one member (the
    /// UnionID joins them); with <paramref name="message"/>, she wrote to the account just now, which opens the 48-hour window.
    /// </summary>
    protected async Task<HttpClient> FollowingMemberAsync(string openId, bool message = true)
    {
        await Simulator.RegisterUserAsync(AppId, openId, "u_" + openId, "nick " + openId);
        await PushAsync(openId, f => f.BuildEvent(openId, "subscribe"));
        if (message)
        {
            await PushAsync(openId, f => f.BuildText(openId, "hello", Random.Shared.NextInt64(1, long.MaxValue)));
        }

        await Service<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);
        var (client, _) = await MiniProgramClient.LoginAsync("mp_" + openId, "u_" + openId);
        return client;
    }

    private sealed class ShiftedTime(TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + by;
    }
}
