"""Azure clouds: the ARM endpoint, the sign-in authority and the token scope of each.

The endpoints are those `az cloud show` prints (`resourceManager`, `activeDirectory`); the token
scope is `<ARM endpoint>/.default`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    authority: str  # the Microsoft Entra host, as azure-identity's AzureAuthorityHosts spells it

    @property
    def scope(self) -> str:
        return f"{self.arm_endpoint}/.default"


CLOUDS = {
    c.name: c
    for c in (
        Cloud("AzureCloud", "https://management.azure.com", "login.microsoftonline.com"),
        Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
        Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    )
}
