using Microsoft.Extensions.Options;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Accounts;

/// <summary>
/// Checks every account at start-up, so a typo in a key stops the process with the key's name
/// instead of surfacing as 401s from WeChat later.
/// </summary>
public sealed class WechatOptionsValidator : IValidateOptions<WechatOptions>
{
    public ValidateOptionsResult Validate(string? name, WechatOptions options)
    {
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Accounts.Count; i++)
        {
            var account = options.Accounts[i];
            var key = $"Wechat:Accounts:{i}";
            if (string.IsNullOrWhiteSpace(account.AppId))
            {
                failures.Add($"{key}:AppId is required.");
                continue;
            }

            if (!seen.Add(account.AppId))
            {
                failures.Add($"{key}:AppId '{account.AppId}' is configured twice.");
            }

            if (string.IsNullOrWhiteSpace(account.AppSecret))
            {
                failures.Add($"{key}:AppSecret is required for '{account.AppId}'.");
            }

            // A mini-program needs a token only when its message push (消息推送) is configured.
            if (account.Type == AccountType.OfficialAccount || account.Token is not null)
            {
                // WeChat's console accepts 3 to 32 letters and digits for the server token.
                if (string.IsNullOrEmpty(account.Token) || account.Token.Length is < 3 or > 32 || !account.Token.All(char.IsAsciiLetterOrDigit))
                {
                    failures.Add($"{key}:Token must be 3 to 32 letters or digits for '{account.AppId}'.");
                }

                if (account.EncodingAESKey is not null && !WechatMessageCrypto.IsValidEncodingAesKey(account.EncodingAESKey))
                {
                    failures.Add($"{key}:EncodingAESKey must be 43 characters of base64 (letters and digits) for '{account.AppId}'.");
                }

                if (account.EffectiveSecurityMode != PushSecurityMode.Plain && string.IsNullOrEmpty(account.EncodingAESKey))
                {
                    failures.Add($"{key}:SecurityMode {account.EffectiveSecurityMode} needs an EncodingAESKey for '{account.AppId}'.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
