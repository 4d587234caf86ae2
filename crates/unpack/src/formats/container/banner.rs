//! placeholder
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
pub struct UBootBanner;
impl Format for UBootBanner {
    fn name(&self) -> &'static str {
        "UBootBanner"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
pub struct LinuxBanner;
impl Format for LinuxBanner {
    fn name(&self) -> &'static str {
        "LinuxBanner"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
pub struct VxWorks;
impl Format for VxWorks {
    fn name(&self) -> &'static str {
        "VxWorks"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
pub struct Cfe;
impl Format for Cfe {
    fn name(&self) -> &'static str {
        "Cfe"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
