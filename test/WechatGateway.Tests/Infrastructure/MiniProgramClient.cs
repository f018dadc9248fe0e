using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>Logs in as a mini-program front-end would, with the simulator's <c>sim:OPENID[:UNIONID]</c> codes.</summary>
public static class MiniProgramClient
{
    public static async Task<(HttpClient Client, JsonElement Session)> LoginAsync(string openId, string? unionId = null)
    {
        var client = TestEnvironment.Gateway.CreateClient();
        // wx.login() gives a fresh single-use code each time; the simulator reads "#..." as such a variation.
        var code = (unionId is null ? $"sim:{openId}" : $"sim:{openId}:{unionId}") + "#" + Guid.NewGuid().ToString("N");
        var response = await client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code });
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("token").GetString());
        return (client, session);
    }
}
