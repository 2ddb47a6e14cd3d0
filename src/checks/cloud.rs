//! Which cloud a Databricks resource belongs to, so that the rules written for Databricks on AWS
//! (regions, customer-managed keys, key policies, the workspace rules) stay silent on Azure and GCP
//! resources that share the same provider and resource types.
//!
//! [`aws_rules_apply`] is the one entry point the AWS checks use. It follows [`decide`], which reads
//! what the configuration says, strongest signal first:
//!
//! 1. the resource's own cloud-specific arguments, as documented by the Databricks provider:
//!    `aws_region` (workspaces) and `aws_key_info` (key configurations) are AWS; `location`,
//!    `cloud_resource_container`, `gcp_managed_network_config`, `gke_config` (workspaces) and
//!    `gcp_key_info` (key configurations) are GCP; a written `cloud = "aws" | "azure" | "gcp"`;
//! 2. the resource's `provider "databricks"` block: a `host` on `cloud.databricks.com` (or the
//!    GovCloud hosts) is AWS, on `azuredatabricks.net` Azure, on `gcp.databricks.com` GCP;
//!    otherwise `azure_*` arguments (`azure_workspace_resource_id`, `azure_client_id`...) mean
//!    Azure and `google_*` arguments (`google_service_account`, `google_credentials`) GCP;
//! 3. the shape of its `region`: AWS names are `us-east-1`, `eu-west-2`, `us-gov-west-1`; GCP
//!    names `us-central1`, `europe-west4` (no hyphen before the number); Azure names
//!    `westeurope`, `eastus2` (no hyphen at all; display names such as `West Europe` too); a
//!    region that is not known but comes from an `azurerm_*` or `google_*` resource takes that
//!    cloud;
//! 4. nothing decides: **AWS**, the product's cloud. A resource whose cloud cannot be told (a
//!    region that is a variable without a value and no other signal) is checked like an AWS
//!    resource, so the rules still report what they find, EVAL001 included, instead of
//!    silently dropping it.
//!
//! Provider blocks are those of the root module, by alias (child modules inherit the default
//! provider; `providers = {...}` in module calls is not followed), as for AWS provider regions.

use crate::eval::{ResourceInstance, Unit};
use crate::value::Value;

/// A cloud Databricks runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Azure => "Azure",
            Cloud::Gcp => "GCP",
        }
    }
}

/// What decided the cloud of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A cloud-specific argument of the resource (`aws_key_info`, `location`, `cloud`...).
    Argument(&'static str),
    /// The `host` of the resource's `provider "databricks"` block.
    ProviderHost(String),
    /// A cloud-specific argument of the resource's `provider "databricks"` block.
    ProviderArgument(String),
    /// The shape of the resource's region name.
    RegionShape(String),
    /// The region comes from a resource of that cloud's provider (`azurerm_*`, `google_*`).
    RegionReference(String),
    /// The module that declares the resource (or the nearest caller that says) configures or
    /// requires that cloud's Terraform provider and not the AWS one.
    ModuleProviders(String),
    /// Nothing decided: AWS, the product's default.
    Default,
}

impl Signal {
    /// Why a resource counts as being on its cloud, in words (for messages).
    pub fn describe(&self) -> String {
        match self {
            Signal::Argument(a) if *a == "resource type" => "by its resource type".to_string(),
            Signal::Argument(a) => format!("it sets `{a}`"),
            Signal::ProviderHost(h) => format!("its provider's `host` is `{h}`"),
            Signal::ProviderArgument(a) => format!("its provider sets `{a}`"),
            Signal::RegionShape(r) => format!("its region `{r}` is named like one"),
            Signal::RegionReference(r) => format!("its region comes from `{r}`"),
            Signal::ModuleProviders(p) => {
                format!("its module uses the `{p}` provider and not the `aws` one")
            }
            Signal::Default => {
                "nothing in the configuration places it on Azure or GCP, and AWS is the default"
                    .to_string()
            }
        }
    }
}

/// The cloud of a resource and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub cloud: Cloud,
    pub signal: Signal,
}

/// True when the AWS rules (REG001–REG003, CMK001–CMK003, the key-policy links, NET007 by
/// default) apply to `r`: its cloud is AWS, or cannot be decided (see the module documentation).
pub fn aws_rules_apply(unit: &Unit, r: &ResourceInstance) -> bool {
    decide(unit, r).cloud == Cloud::Aws
}

/// The cloud of a resource (see the module documentation for the order of the signals).
pub fn decide(unit: &Unit, r: &ResourceInstance) -> Decision {
    if r.rtype().starts_with("aws_") {
        return Decision {
            cloud: Cloud::Aws,
            signal: Signal::Argument("resource type"),
        };
    }
    if r.rtype().starts_with("azurerm_") {
        return Decision {
            cloud: Cloud::Azure,
            signal: Signal::Argument("resource type"),
        };
    }
    if r.rtype().starts_with("google_") {
        return Decision {
            cloud: Cloud::Gcp,
            signal: Signal::Argument("resource type"),
        };
    }
    let set = |name: &str| r.attr(name).filter(|v| !v.is_null());
    for (name, cloud) in [
        ("aws_region", Cloud::Aws),
        ("aws_key_info", Cloud::Aws),
        ("location", Cloud::Gcp),
        ("cloud_resource_container", Cloud::Gcp),
        ("gcp_managed_network_config", Cloud::Gcp),
        ("gke_config", Cloud::Gcp),
        ("gcp_key_info", Cloud::Gcp),
    ] {
        if set(name).is_some() {
            return Decision {
                cloud,
                signal: Signal::Argument(name),
            };
        }
    }
    if let Some(c) = set("cloud").and_then(Value::as_str).and_then(cloud_named) {
        return Decision {
            cloud: c,
            signal: Signal::Argument("cloud"),
        };
    }
    if let Some(p) = unit.databricks_provider_of(r) {
        let host = p.host.as_ref().and_then(|h| {
            h.known_fragments()
                .map(|f| f.join(" ").to_ascii_lowercase())
        });
        if let Some(h) = host {
            if let Some(c) = cloud_of_host(&h) {
                return Decision {
                    cloud: c,
                    signal: Signal::ProviderHost(h),
                };
            }
        }
        for a in &p.arguments {
            let c = if a.starts_with("azure_") {
                Cloud::Azure
            } else if a.starts_with("google_") {
                Cloud::Gcp
            } else {
                continue;
            };
            return Decision {
                cloud: c,
                signal: Signal::ProviderArgument(a.clone()),
            };
        }
    }
    if let Some(region) = set("region") {
        if let Some(s) = region.as_str() {
            if let Some(c) = cloud_of_region(s) {
                return Decision {
                    cloud: c,
                    signal: Signal::RegionShape(s.to_string()),
                };
            }
        } else if let Some(rr) = region.reference() {
            if let Some(c) = cloud_of_address(&rr.address) {
                return Decision {
                    cloud: c,
                    signal: Signal::RegionReference(rr.to_string()),
                };
            }
        }
    }
    if let Some(d) = module_cloud(unit, r.module()) {
        return d;
    }
    Decision {
        cloud: Cloud::Aws,
        signal: Signal::Default,
    }
}

/// The cloud the providers of module instance `addr` (or of its nearest caller that names a
/// cloud provider) place it on: Azure or GCP when that cloud's provider is there and `aws` is
/// not; None when the modules say nothing or name AWS.
fn module_cloud(unit: &Unit, addr: &str) -> Option<Decision> {
    let mut addr = addr.to_string();
    loop {
        if let Some(ps) = unit.module_providers.get(&addr).filter(|p| !p.is_empty()) {
            if ps.iter().any(|p| p == "aws") {
                return None;
            }
            let (cloud, p) = match (
                ps.iter().any(|p| p == "azurerm"),
                ps.iter().any(|p| p == "google"),
            ) {
                (true, false) => (Cloud::Azure, "azurerm"),
                (false, true) => (Cloud::Gcp, "google"),
                _ => return None,
            };
            return Some(Decision {
                cloud,
                signal: Signal::ModuleProviders(p.to_string()),
            });
        }
        if addr.is_empty() {
            return None;
        }
        // `module.a["k"].module.b` -> `module.a["k"]` -> "".
        addr = match addr.rfind(".module.") {
            Some(i) => addr[..i].to_string(),
            None => String::new(),
        };
    }
}

fn cloud_named(s: &str) -> Option<Cloud> {
    match s.to_ascii_lowercase().as_str() {
        "aws" => Some(Cloud::Aws),
        "azure" => Some(Cloud::Azure),
        "gcp" => Some(Cloud::Gcp),
        _ => None,
    }
}

/// The cloud of a Databricks host name (account console or workspace URL), lower case.
pub fn cloud_of_host(host: &str) -> Option<Cloud> {
    if host.contains("azuredatabricks.net") {
        Some(Cloud::Azure)
    } else if host.contains("gcp.databricks.com") {
        Some(Cloud::Gcp)
    } else if host.contains("cloud.databricks.com")
        || host.contains("cloud.databricks.us")
        || host.contains("cloud.databricks.mil")
    {
        Some(Cloud::Aws)
    } else {
        None
    }
}

/// The cloud a resource address belongs to by its provider (`azurerm_resource_group.rg`,
/// `data.google_client_config.this`), if it is an Azure or GCP one.
fn cloud_of_address(address: &str) -> Option<Cloud> {
    address.split('.').find_map(|seg| {
        if seg.starts_with("azurerm_") || seg.starts_with("azuread_") {
            Some(Cloud::Azure)
        } else if seg.starts_with("google_") {
            Some(Cloud::Gcp)
        } else {
            None
        }
    })
}

/// The cloud a region name belongs to, by its shape; None when it has none of the three shapes.
///
/// - AWS: `<area>[-gov|-iso*]-<direction>-<number>`: `us-east-1`, `ap-southeast-3`,
///   `us-gov-west-1`;
/// - GCP: `<area>-<direction><number>`: `us-central1`, `europe-west4`,
///   `northamerica-northeast1`;
/// - Azure: one word of letters, optionally followed by a number, naming a direction or a US
///   government region: `westeurope`, `eastus2`, `usgovvirginia` (case and spaces are ignored,
///   so the display name `West Europe` counts too).
pub fn cloud_of_region(region: &str) -> Option<Cloud> {
    fn lower(p: &str) -> bool {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase())
    }
    fn digits(p: &str) -> bool {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
    }
    let s = region.trim();
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [area, dir, n] if lower(area) && area.len() == 2 && lower(dir) && digits(n) => {
            return Some(Cloud::Aws)
        }
        [area, gov, dir, n]
            if lower(area)
                && area.len() == 2
                && (*gov == "gov" || gov.starts_with("iso"))
                && lower(dir)
                && digits(n) =>
        {
            return Some(Cloud::Aws)
        }
        [area, dirn] if lower(area) => {
            let letters = dirn.trim_end_matches(|c: char| c.is_ascii_digit());
            if lower(letters) && letters.len() < dirn.len() {
                return Some(Cloud::Gcp);
            }
            return None;
        }
        [_] => {}
        _ => return None,
    }
    let folded: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let letters = folded.trim_end_matches(|c: char| c.is_ascii_digit());
    if !lower(letters) {
        return None;
    }
    let azure_word = ["east", "west", "north", "south", "central"]
        .iter()
        .any(|w| letters.contains(w))
        || letters.starts_with("usgov")
        || letters.starts_with("usdod");
    azure_word.then_some(Cloud::Azure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_shapes() {
        for r in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "ap-southeast-3",
            "ca-central-1",
        ] {
            assert_eq!(cloud_of_region(r), Some(Cloud::Aws), "{r}");
        }
        for r in [
            "us-central1",
            "europe-west4",
            "northamerica-northeast1",
            "asia-southeast1",
            "us-east4",
        ] {
            assert_eq!(cloud_of_region(r), Some(Cloud::Gcp), "{r}");
        }
        for r in [
            "westeurope",
            "eastus2",
            "uksouth",
            "usgovvirginia",
            "West Europe",
            "germanywestcentral",
        ] {
            assert_eq!(cloud_of_region(r), Some(Cloud::Azure), "{r}");
        }
        for r in [
            "moon-1",
            "",
            "us-east-1a",
            "US-EAST-1",
            "mars",
            "a-b-c-d-e",
            "x_y",
        ] {
            assert_eq!(cloud_of_region(r), None, "{r}");
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(
            cloud_of_host("https://accounts.azuredatabricks.net"),
            Some(Cloud::Azure)
        );
        assert_eq!(
            cloud_of_host("https://accounts.gcp.databricks.com"),
            Some(Cloud::Gcp)
        );
        assert_eq!(
            cloud_of_host("https://accounts.cloud.databricks.com"),
            Some(Cloud::Aws)
        );
        assert_eq!(
            cloud_of_host("https://dbc-1234.cloud.databricks.us"),
            Some(Cloud::Aws)
        );
        assert_eq!(cloud_of_host("https://example.com"), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            cloud_of_address("azurerm_resource_group.rg"),
            Some(Cloud::Azure)
        );
        assert_eq!(
            cloud_of_address("module.net.data.google_client_config.this"),
            Some(Cloud::Gcp)
        );
        assert_eq!(cloud_of_address("aws_vpc.main"), None);
    }
}
