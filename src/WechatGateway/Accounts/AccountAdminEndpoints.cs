using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Accounts;

/// <summary><c>GET /api/admin/accounts</c>: the configured WeChat accounts, without their secrets, for the console's pickers.</summary>
public static class AccountAdminEndpoints
{
    public sealed record AccountView(string AppId, string? Name, AccountType Type, ReplyMode ReplyMode);

    public static RouteGroupBuilder MapAccounts(this RouteGroupBuilder admin)
    {
        admin.MapGet("/accounts", List).RequireAuthorization(AdminPolicies.Read).WithTags("Accounts")
            .WithSummary("The configured WeChat accounts (appId, name, type, reply mode); secrets and tokens are never shown.");
        return admin;
    }

    [ResponseExample("""[ { "appId": "wx5f3c2a1b9d8e7f60", "name": "Brand official account", "type": "OfficialAccount", "replyMode": "Queue" }, { "appId": "wx8e2d4c6a0b1f3e57", "name": "Brand mini-program", "type": "MiniProgram", "replyMode": "Queue" } ]""")]
    public static Ok<List<AccountView>> List([FromServices] AccountRegistry accounts) =>
        TypedResults.Ok(accounts.All.Select(a => new AccountView(a.AppId, a.Options.Name, a.Options.Type, a.Options.ReplyMode)).OrderBy(a => a.AppId, StringComparer.Ordinal).ToList());
}
