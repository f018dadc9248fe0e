using System.Security.Claims;
using WechatGateway.Accounts;
using WechatGateway.Members;

namespace WechatGateway.MiniProgram;

/// <summary>The member behind a mini-program session.</summary>
public static class MiniProgramMember
{
    /// <returns>The member (created on first sight) and the mini-program's appId.</returns>
    public static async Task<(ulong MemberId, string AppId)> CurrentMemberAsync(this MemberResolver resolver, ClaimsPrincipal user, CancellationToken ct)
    {
        var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim)!;
        var openId = user.FindFirstValue(MiniProgramAuthenticationHandler.OpenIdClaim)!;
        return ((await resolver.ResolveAsync(appId, openId, AccountType.MiniProgram, ct)).MemberId, appId);
    }
}
