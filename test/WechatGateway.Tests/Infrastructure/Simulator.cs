using System.Net.Http.Json;

using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>Calls to the simulator's control API (docs/CONTRACT.md §4), shared by the tests.</summary>
public static class Simulator
{
    public static async Task RegisterUserAsync(string appId, string openId, string? unionId, string? nickname = null, bool subscribed = true)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/users", new { appid = appId, openid = openId, unionid = unionId, nickname, subscribed });
        response.EnsureSuccessStatusCode();
    }

    public static async Task ExpireTokensAsync(string appId)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/tokens/expire", new { appid = appId });
        response.EnsureSuccessStatusCode();
    }
}
