using Microsoft.Extensions.Options;

namespace WechatGateway.Admin;

public sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public const int MinimumKeyLength = 24;

    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var path = $"Admin:ApiKeys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{path}:Name is required.");
            }

            if (AdminKeyHash.TryParseConfigured(key.Key) is null)
            {
                failures.Add($"{path}:Key must be at least {MinimumKeyLength} characters, or sha256: followed by 64 hex digits.");
            }

            if (key.Role == AdminRole.StoreManager && key.StoreIds.Count == 0)
            {
                failures.Add($"{path}:StoreIds must name at least one store for a StoreManager key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
