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

    /// <summary>Registers <paramref name="count"/> followers named <paramref name="openIdPrefix"/> + 0000000.. (UnionIDs likewise when a prefix is given).</summary>
    public static async Task RegisterFollowersAsync(string appId, int count, string openIdPrefix, string? unionIdPrefix = null, int[]? tagIds = null)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/users/bulk", new { appid = appId, count, openIdPrefix, unionIdPrefix, tagIds });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The next calls to <paramref name="api"/> fail with <paramref name="errcode"/>: <paramref name="count"/> of them, or each with the probability <paramref name="rate"/>.</summary>
    public static async Task AddFaultAsync(string api, int errcode, int? count = null, double? rate = null)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/faults",
            rate is null ? new { api, errcode, count } : (object)new { api, errcode, rate, errcodes = new[] { errcode } });
        response.EnsureSuccessStatusCode();
    }

    public static async Task ExpireTokensAsync(string appId)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/tokens/expire", new { appid = appId });
        response.EnsureSuccessStatusCode();
    }
}
