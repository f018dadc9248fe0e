using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WechatGateway.Admin;

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

    public static Ok<List<AccountView>> List([FromServices] AccountRegistry accounts) =>
        TypedResults.Ok(accounts.All.Select(a => new AccountView(a.AppId, a.Options.Name, a.Options.Type, a.Options.ReplyMode)).OrderBy(a => a.AppId, StringComparer.Ordinal).ToList());
}
