using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace WechatSimulator.Accounts;

public sealed record AccountRequest(string? AppId, string? Secret, AccountServiceType? ServiceType, string? Token, string? EncodingAesKey);

public sealed record AccountResponse(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("serviceType")] AccountServiceType ServiceType);

public static class AccountEndpoints
{
    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/_sim/accounts").WithTags("Simulator");
        group.MapGet("/", ListAccounts);
        group.MapPost("/", AddAccount);
    }

    public static Ok<AccountResponse[]> ListAccounts(SimulatorState state) =>
        TypedResults.Ok(state.Accounts.All().Select(a => new AccountResponse(a.AppId, a.Secret, a.ServiceType)).ToArray());

    /// <summary>Registers (or changes the secret of) an account, as if it had been created on the WeChat platform.</summary>
    public static Results<Ok<AccountResponse>, ValidationProblem> AddAccount(AccountRequest request, SimulatorState state)
    {
        if (string.IsNullOrEmpty(request.AppId) || string.IsNullOrEmpty(request.Secret))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["appid"] = ["appid and secret are required"],
            });
        }

        var account = new SimAccount(request.AppId, request.Secret, request.ServiceType ?? AccountServiceType.Service, request.Token, request.EncodingAesKey);
        state.Accounts.Add(account);
        return TypedResults.Ok(new AccountResponse(account.AppId, account.Secret, account.ServiceType));
    }
}
